"""Every content sentence of the two seed articles is carried by a content item, and
every item that cites a seed is mapped from one of its sentences."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from nerveglide.content.coverage import (
    CoverageMap,
    content_sentences,
    coverage_problems,
    split_sentences,
)
from nerveglide.content.loader import load_coverage, load_library
from nerveglide.content.schema import SEED_FILES, Item, Library
from tests.shared_data import SEEDS


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    return {name: (SEEDS / name).read_text(encoding="utf-8") for name in SEED_FILES}


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def mapping() -> CoverageMap:
    return load_coverage()


def test_every_seed_sentence_maps_to_a_sourced_item(library, mapping, seed_texts):
    assert coverage_problems(library, mapping, seed_texts) == []


def test_furniture_is_left_out_and_content_kept(mapping, seed_texts):
    sentences = content_sentences(seed_texts[SEED_FILES[1]], mapping.furniture)
    assert "Load Comments" not in sentences
    assert not any(s.startswith("Credit:") for s in sentences)
    assert "Your other leg should stay straight out along the floor." in sentences
    sentences_000 = content_sentences(seed_texts[SEED_FILES[0]], mapping.furniture)
    assert "Video of the Day" not in sentences_000
    assert not any(s.startswith("Read more:") for s in sentences_000)


def test_splitter_keeps_initials_and_titles_inside_a_sentence():
    text = "It hurts, writes Steven G. Yeomans, D.C., on a site. Then Dr. Green says so. Next one."
    assert split_sentences(text) == [
        "It hurts, writes Steven G. Yeomans, D.C., on a site.",
        "Then Dr. Green says so.",
        "Next one.",
    ]


def _without(library: Library, item_id: str) -> Library | None:
    """The library with one item taken out: dropped from its list, or, for an item that
    must exist (a summary, an intro), put back under another id. None when the schema
    itself refuses the smaller library (a list that must not be empty)."""

    def prune(node: object) -> object:
        if isinstance(node, dict):
            if node.get("id") == item_id:
                return {**node, "id": "removed-item"}
            return {k: prune(v) for k, v in node.items()}
        if isinstance(node, list):
            return [prune(v) for v in node if not (isinstance(v, dict) and v.get("id") == item_id)]
        return node

    try:
        smaller = Library.model_validate(prune(library.model_dump()))
    except ValidationError:
        return None
    assert item_id not in {i.id for i in smaller.items()}
    return smaller


def _seed_cited_items(library: Library) -> list[Item]:
    return [i for i in library.items() if any(c.source in SEED_FILES for c in i.sources)]


def test_removing_any_seed_item_breaks_coverage(library, mapping, seed_texts):
    items = _seed_cited_items(library)
    assert len(items) > 40
    survivors = []
    for item in items:
        smaller = _without(library, item.id)
        if smaller is not None and not coverage_problems(smaller, mapping, seed_texts):
            survivors.append(item.id)
    assert survivors == []


def test_a_new_seed_sentence_is_reported(library, mapping, seed_texts):
    changed = dict(seed_texts)
    changed[SEED_FILES[0]] += "\nAlways warm up before gliding."
    problems = coverage_problems(library, mapping, changed)
    assert problems == [
        f"{SEED_FILES[0]}: sentence not mapped to any item: 'Always warm up before gliding.'"
    ]


def test_a_misquoted_seed_is_reported(library, mapping, seed_texts):
    changed = dict(seed_texts)
    changed[SEED_FILES[1]] = changed[SEED_FILES[1]].replace("15 repetitions", "25 repetitions")
    problems = coverage_problems(library, mapping, changed)
    assert any("seated-leg-raise.dose.002" in p and "quotes words" in p for p in problems)


def test_every_item_names_a_source(library):
    for item in library.items():
        assert item.sources, item.id
        for citation in item.sources:
            library.source(citation.source)
