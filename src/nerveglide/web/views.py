"""What the pages show, read from the content library: no HTTP here, only view models."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nerveglide.content.loader import default_library
from nerveglide.content.schema import Citation, Dose, Exercise, Item, Library
from nerveglide.demo.svg import animated_svg


@dataclass(frozen=True)
class CitationView:
    """One citation as a link to the sources page, with its short label."""

    source_id: str
    label: str
    detail: str


def citation_views(library: Library, item: Item) -> list[CitationView]:
    return [_citation_view(library, c) for c in item.sources]


def _citation_view(library: Library, citation: Citation) -> CitationView:
    source = library.source(citation.source)
    detail = (citation.quote and f"“{citation.quote}”") or citation.locator or source.title
    return CitationView(source_id=source.id, label=library.label(source.id), detail=detail)


def dose_facts(dose: Dose) -> list[tuple[str, str]]:
    """The dose as label/value rows; a value the source does not give says so."""
    if dose.reps_min is None:
        reps = "not given: your setting"
    elif dose.reps_min == dose.reps_max:
        reps = f"{dose.reps_min}"
    else:
        reps = f"{dose.reps_min} to {dose.reps_max}"
    per_day = (
        f"up to {dose.times_per_day_max}"
        if dose.times_per_day_max is not None
        else "not given: your setting"
    )
    legs = {
        "one": "one leg",
        "affected": "the affected leg",
        "both": "both legs",
        None: "not stated",
    }[dose.legs]
    rows = [("Repetitions", reps), ("Times a day", per_day), ("Legs", legs)]
    if dose.hold is not None:
        rows.append(("Hold", f"{dose.hold} (seconds are your setting)"))
    return rows


@functools.cache
def demo_svg(exercise_id: str) -> str:
    """The glide's animated figure for its page, captions left to the page itself."""
    library = default_library()
    return animated_svg(library.exercise(exercise_id), captions=False, id=f"demo-{exercise_id}")


def exercise_or_none(library: Library, exercise_id: str) -> Exercise | None:
    try:
        return library.exercise(exercise_id)
    except KeyError:
        return None
