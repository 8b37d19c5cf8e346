"""Checks that the content covers every sentence of the seed articles.

The seeds are split into sentences; page furniture ("Video of the Day", "Read more: ...",
photo captions and credits, "Load Comments") is left out. A mapping kept in
``data/coverage.yaml`` names, for each remaining sentence, the content items that carry
its meaning. :func:`coverage_problems` lists every way the mapping and the content fail
to agree; an empty list means full coverage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from nerveglide.content.schema import Library

# A sentence ends at . ? or ! followed by a space and a capital letter, except after an
# initial ("G.") or a known abbreviation ("D.C.", "Dr.").
_ABBREVIATIONS = ("D.C.", "Dr.", "Mr.", "Mrs.", "Ms.", "St.", "e.g.", "i.e.")
_BOUNDARY = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"'])")


class SentenceMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sentence: str = Field(min_length=1)
    items: list[str] = Field(min_length=1)


class CoverageMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    furniture: list[str] = Field(min_length=1)
    seeds: dict[str, list[SentenceMap]]


def split_sentences(text: str) -> list[str]:
    """Split a seed article into sentences, one line (or heading, or bullet) at a time."""
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("-").strip()
        if not line:
            continue
        pieces = _BOUNDARY.split(line)
        current = ""
        for piece in pieces:
            current = f"{current} {piece}" if current else piece
            if not _ends_in_abbreviation(current):
                out.append(current)
                current = ""
        if current:
            out.append(current)
    return out


def _ends_in_abbreviation(text: str) -> bool:
    if text.endswith(_ABBREVIATIONS):
        return True
    return re.search(r"(?:^|\s)[A-Z]\.$", text) is not None


def is_furniture(sentence: str, furniture: Iterable[str]) -> bool:
    """Furniture entries match a whole sentence, or its start when they end with '...'."""
    for entry in furniture:
        if entry.endswith("...") and sentence.startswith(entry[:-3]):
            return True
        if sentence == entry:
            return True
    return False


def content_sentences(text: str, furniture: Iterable[str]) -> list[str]:
    furniture = list(furniture)
    return [s for s in split_sentences(text) if not is_furniture(s, furniture)]


def coverage_problems(
    library: Library, mapping: CoverageMap, seed_texts: Mapping[str, str]
) -> list[str]:
    """Every disagreement between the seeds, the mapping and the content."""
    problems: list[str] = []
    items = {item.id: item for item in library.items()}
    mapped_by_seed: dict[str, set[str]] = {}
    for seed, text in seed_texts.items():
        entries: Sequence[SentenceMap] = mapping.seeds.get(seed, [])
        mapped = {e.sentence: e for e in entries}
        wanted = content_sentences(text, mapping.furniture)
        for sentence in wanted:
            if sentence not in mapped:
                problems.append(f"{seed}: sentence not mapped to any item: {sentence!r}")
        for sentence in mapped:
            if sentence not in wanted:
                problems.append(f"{seed}: mapping names a sentence the seed lacks: {sentence!r}")
        ids: set[str] = set()
        for entry in entries:
            for item_id in entry.items:
                ids.add(item_id)
                item = items.get(item_id)
                if item is None:
                    problems.append(f"{seed}: {entry.sentence!r} maps to missing item {item_id!r}")
                elif seed not in {c.source for c in item.sources}:
                    problems.append(
                        f"{seed}: {entry.sentence!r} maps to item {item_id!r}, "
                        "which does not cite this seed"
                    )
        mapped_by_seed[seed] = ids
    for item in items.values():
        for citation in item.sources:
            seed = citation.source
            if seed in seed_texts and item.id not in mapped_by_seed.get(seed, set()):
                problems.append(
                    f"item {item.id!r} cites {seed} but no sentence of it maps to the item"
                )
            if seed in seed_texts and citation.quote and citation.quote not in seed_texts[seed]:
                problems.append(f"item {item.id!r} quotes words that {seed} does not contain")
    for seed in mapping.seeds:
        if seed not in seed_texts:
            problems.append(f"mapping names an unknown seed {seed!r}")
    return problems
