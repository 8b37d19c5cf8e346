"""Outcome questionnaire files: every packaged one loads, says where it comes from, and a
malformed or unsourced file is refused naming the file and the field. A clinic's file for
a licensed instrument (an Oswestry-like fixture) loads and is validated the same way."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from nerveglide.content.loader import (
    DATA_DIR,
    QUESTIONNAIRE_DIR,
    ContentError,
    load_library,
    load_questionnaire,
    load_questionnaires,
)
from nerveglide.content.questionnaire import Questionnaire

FIXTURES = Path(__file__).parent / "fixtures" / "questionnaires"
LICENSED = FIXTURES / "oswestry-licensed.yaml"

PACKAGED = {
    "nprs-back",
    "nprs-leg",
    "psfs",
    "roland-morris",
    "sciatica-bothersomeness-index",
    "start-back",
}


@pytest.fixture(scope="module")
def packaged() -> dict[str, Questionnaire]:
    return {q.id: q for q in load_questionnaires()}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def refused(data: Path, name: str, change: Callable[[dict[str, Any]], object]) -> ContentError:
    edit(data / "questionnaires" / name, change)
    with pytest.raises(ContentError) as caught:
        load_questionnaires(data / "questionnaires", sources_file=data / "sources.yaml")
    assert caught.value.file == f"questionnaires/{name}"
    assert str(caught.value).startswith(f"questionnaires/{name}: {caught.value.field}: ")
    return caught.value


# -- the packaged files ------------------------------------------------------------------


def test_every_packaged_file_loads(packaged):
    assert set(packaged) == PACKAGED
    for path in QUESTIONNAIRE_DIR.glob("*.yaml"):
        assert load_questionnaire(path).id == path.stem


def test_packaged_questionnaires_leave_the_exercise_content_valid():
    assert load_library().source("ostelo-2008").short == "Ostelo et al. 2008"


def test_no_licensed_instrument_is_shipped(packaged):
    for q in packaged.values():
        assert q.licence.status != "licensed", q.id
        assert "oswestry" not in q.id
        assert "oswestry" not in q.title.lower()


def test_every_citation_names_a_known_source(packaged):
    known = {s.id for s in load_library().sources}
    for q in packaged.values():
        assert q.sources, q.id
        assert q.scoring.sources, q.id
        for citation in q.citations():
            assert citation.source in known, (q.id, citation.source)


def test_minimal_changes_as_the_clinical_brief_gives_them(packaged):
    for name in ("nprs-back", "nprs-leg"):
        mic = packaged[name].minimal_change
        assert (mic.kind, mic.points, mic.percent) == ("mic", 2, 30)
        assert [c.source for c in mic.sources] == ["ostelo-2008"]
    rmdq = packaged["roland-morris"].minimal_change
    assert (rmdq.kind, rmdq.points, rmdq.percent) == ("mic", 5, 30)
    sbi = packaged["sciatica-bothersomeness-index"].minimal_change
    assert sbi.kind == "none_published"
    assert sbi.points is None
    assert sbi.note
    assert "No minimal important change" in sbi.note
    assert packaged["start-back"].minimal_change.kind == "none_published"


def test_psfs_threshold_is_labelled_a_detectable_change_not_an_important_one(packaged):
    mdc = packaged["psfs"].minimal_change
    assert (mdc.kind, mdc.points, mdc.item_points, mdc.percent) == ("mdc90", 2, 3, None)
    assert "detectable" in mdc.label
    assert "important" not in mdc.label
    assert mdc.note
    assert "not a minimal important change" in mdc.note


def test_directions_of_improvement(packaged):
    lower = {"nprs-back", "nprs-leg", "sciatica-bothersomeness-index", "roland-morris"}
    for name in lower:
        assert packaged[name].scoring.better == "lower", name
    assert packaged["psfs"].scoring.better == "higher"


def test_nprs_uses_one_loinc_code_with_a_body_site(packaged):
    back, leg = packaged["nprs-back"], packaged["nprs-leg"]
    assert back.loinc.total == leg.loinc.total == "72514-3"
    assert (back.loinc.body_site, leg.loinc.body_site) == ("Lower back", "Leg")
    assert [i.answers for i in back.items] == ["zero-to-ten"]
    scale = back.answer_set("zero-to-ten")
    assert scale.kind == "numeric"
    assert (scale.min, scale.max) == (0, 10)


def test_sbi_is_four_items_of_zero_to_six_and_says_what_is_unverified(packaged):
    sbi = packaged["sciatica-bothersomeness-index"]
    assert [i.id for i in sbi.items] == [
        "leg-pain",
        "numbness-tingling",
        "weakness",
        "pain-sitting",
    ]
    assert (sbi.scoring.rule, sbi.scoring.min, sbi.scoring.max) == ("sum", 0, 24)
    assert sbi.licence.status == "unverified"
    assert sbi.licence.open_questions
    assert "not verified" in sbi.licence.notice
    assert sbi.wording.status == "unverified"
    assert sbi.loinc.total is None


def test_rmdq_has_the_24_published_sentences(packaged):
    rmdq = packaged["roland-morris"]
    assert len(rmdq.items) == 24
    assert rmdq.items[0].text == "I stay at home most of the time because of my back."
    assert rmdq.items[8].text == "I get dressed more slowly than usual because of my back."
    assert rmdq.items[23].text == "I stay in bed most of the time because of my back."
    assert len({i.text for i in rmdq.items}) == 24
    assert all(i.answers == "tick" for i in rmdq.items)
    assert (rmdq.scoring.rule, rmdq.scoring.missing.rule) == ("count_yes", "blank_is_no")
    assert rmdq.wording.status == "checked"
    assert rmdq.loinc.panel is None
    assert rmdq.loinc.total is None


def test_start_back_items_codes_bands_and_notice(packaged):
    sbt = packaged["start-back"]
    assert len(sbt.items) == 9
    assert [i.loinc for i in sbt.items] == [
        "91340-0",
        "91341-8",
        "91342-6",
        "91343-4",
        "91344-2",
        "91345-9",
        "91346-7",
        "91347-5",
        "91348-3",
    ]
    assert (sbt.loinc.panel, sbt.loinc.total) == ("91349-1", "91351-7")
    distress = sbt.subscale("distress")
    assert distress.items == ["q5", "q6", "q7", "q8", "q9"]
    assert (distress.min, distress.max, distress.loinc) == (0, 5, "91350-9")
    assert sbt.scoring.bands is not None
    assert sbt.scoring.bands.loinc == "91352-5"
    assert [b.id for b in sbt.scoring.bands.bands] == ["low", "medium", "high"]
    assert "© Keele University" in sbt.licence.notice
    assert "non-commercial" in sbt.licence.notice
    assert sbt.licence.status == "free_non_commercial"


def test_psfs_items_are_named_by_the_person(packaged):
    psfs = packaged["psfs"]
    assert len(psfs.items) == 5
    assert all(i.patient_specified for i in psfs.items)
    assert (psfs.scoring.rule, psfs.scoring.missing.min_answered) == ("mean", 3)


# -- malformed and unsourced files are refused, naming file and field --------------------


def test_mic_without_a_source_is_refused(data):
    error = refused(data, "nprs-back.yaml", lambda d: d["minimal_change"].update(sources=[]))
    assert error.field == "minimal_change"
    assert "needs at least one source" in error.problem


def test_unknown_source_is_refused(data):
    def cite_blog(d: dict[str, Any]) -> None:
        d["minimal_change"]["sources"][0]["source"] = "some-blog"

    error = refused(data, "roland-morris.yaml", cite_blog)
    assert error.field == "minimal_change.sources.0.source"
    assert "some-blog" in error.problem


def test_instrument_without_sources_is_refused(data):
    error = refused(data, "psfs.yaml", lambda d: d.update(sources=[]))
    assert error.field == "sources"


def test_missing_licence_is_refused(data):
    error = refused(data, "sciatica-bothersomeness-index.yaml", lambda d: d.pop("licence"))
    assert error.field == "licence"
    assert "Field required" in error.problem


def test_item_with_an_undefined_answer_set_is_refused(data):
    def wrong_set(d: dict[str, Any]) -> None:
        d["items"][3]["answers"] = "yes-no"

    error = refused(data, "start-back.yaml", wrong_set)
    assert error.field == "items.3.answers"
    assert "'yes-no'" in error.problem


def test_declared_range_must_match_the_items(data):
    error = refused(
        data, "sciatica-bothersomeness-index.yaml", lambda d: d["scoring"].update(max=30)
    )
    assert error.field == "scoring"
    assert "0-24" in error.problem


def test_loinc_code_with_a_wrong_check_digit_is_refused(data):
    error = refused(data, "start-back.yaml", lambda d: d["loinc"].update(total="91351-8"))
    assert error.field == "loinc.total"
    assert "check digit" in error.problem


def test_overlapping_bands_are_refused(data):
    def overlap(d: dict[str, Any]) -> None:
        d["scoring"]["bands"]["bands"][1]["when"][1]["max"] = 4

    error = refused(data, "start-back.yaml", overlap)
    assert error.field == "scoring.bands"
    assert "medium, high" in error.problem


def test_bands_that_leave_a_gap_are_refused(data):
    def gap(d: dict[str, Any]) -> None:
        d["scoring"]["bands"]["bands"][0]["when"][0]["max"] = 2

    error = refused(data, "start-back.yaml", gap)
    assert error.field == "scoring.bands"
    assert "no band" in error.problem


def test_band_on_an_unknown_subscale_is_refused(data):
    def unknown(d: dict[str, Any]) -> None:
        d["scoring"]["bands"]["bands"][2]["when"][1]["score"] = "worry"

    error = refused(data, "start-back.yaml", unknown)
    assert error.field == "scoring.bands.bands.2.when.1.score"


def test_count_yes_needs_yes_no_items(data):
    def three_options(d: dict[str, Any]) -> None:
        d["answer_sets"][0]["options"].append({"code": "maybe", "label": "Maybe", "value": 2})

    error = refused(data, "roland-morris.yaml", three_options)
    assert error.field == "items.0.answers"
    assert "count_yes" in error.problem


def test_missing_rule_must_fit_the_scoring_rule(data):
    error = refused(
        data,
        "sciatica-bothersomeness-index.yaml",
        lambda d: d["scoring"]["missing"].update(rule="use_answered"),
    )
    assert error.field == "scoring.missing.rule"


def test_none_published_with_a_number_is_refused(data):
    error = refused(
        data, "sciatica-bothersomeness-index.yaml", lambda d: d["minimal_change"].update(points=3)
    )
    assert error.field == "minimal_change"
    assert "none_published" in error.problem


def test_unknown_field_is_refused(data):
    error = refused(data, "nprs-leg.yaml", lambda d: d["scoring"].update(weights=[1]))
    assert error.field == "scoring.weights"
    assert "Extra inputs" in error.problem


def test_file_id_must_match_its_name(data):
    error = refused(data, "nprs-leg.yaml", lambda d: d.update(id="nprs-arm"))
    assert error.field == "id"


def test_malformed_yaml_names_the_file_and_line(data):
    path = data / "questionnaires" / "psfs.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_questionnaire(path)
    assert caught.value.file == "psfs.yaml"
    assert "not valid YAML" in str(caught.value)
    assert "line" in str(caught.value)


def test_a_packaged_file_is_named_from_the_data_directory(tmp_path):
    with pytest.raises(ContentError) as caught:
        load_questionnaire(QUESTIONNAIRE_DIR / "no-such-questionnaire.yaml")
    assert caught.value.file == "questionnaires/no-such-questionnaire.yaml"
    assert "missing" in caught.value.problem


def test_an_empty_directory_is_refused(tmp_path):
    (tmp_path / "questionnaires").mkdir()
    with pytest.raises(ContentError) as caught:
        load_questionnaires(tmp_path / "questionnaires")
    assert caught.value.file == "questionnaires"


# -- a clinic's own licensed file ----------------------------------------------------------


def test_a_licensed_file_loads_with_its_own_sources():
    odi = load_questionnaire(LICENSED)
    assert odi.licence.status == "licensed"
    assert odi.licence.licensee == "Example Physiotherapy Clinic (test fixture)"
    assert (odi.scoring.rule, odi.scoring.min, odi.scoring.max) == ("percent_of_max", 0, 100)
    assert (odi.loinc.panel, odi.loinc.total) == ("97908-8", "97909-6")
    assert {s.id for s in odi.extra_sources} == {"fairbank-pynsent-2000", "loinc-odi"}
    assert [q.id for q in load_questionnaires(FIXTURES)] == ["oswestry-licensed"]


def licensed_copy(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> ContentError:
    path = tmp_path / LICENSED.name
    shutil.copy(LICENSED, path)
    edit(path, change)
    with pytest.raises(ContentError) as caught:
        load_questionnaire(path)
    assert caught.value.file == LICENSED.name
    return caught.value


def test_a_licensed_file_must_name_its_licensee(tmp_path):
    error = licensed_copy(tmp_path, lambda d: d["licence"].pop("licensee"))
    assert error.field == "licence"
    assert "licensee" in error.problem


def test_a_licensed_file_cannot_redefine_a_packaged_source(tmp_path):
    def clash(d: dict[str, Any]) -> None:
        d["extra_sources"][0]["id"] = "ostelo-2008"
        d["sources"][0]["source"] = "ostelo-2008"
        d["scoring"]["sources"][0]["source"] = "ostelo-2008"
        d["scoring"]["missing"]["sources"][0]["source"] = "ostelo-2008"
        d["licence"]["sources"][0]["source"] = "ostelo-2008"

    error = licensed_copy(tmp_path, clash)
    assert error.field == "extra_sources.0.id"


def test_a_licensed_file_citing_an_undefined_source_is_refused(tmp_path):
    error = licensed_copy(tmp_path, lambda d: d.pop("extra_sources"))
    assert error.field == "scoring.missing.sources.0.source"
    assert "fairbank-pynsent-2000" in error.problem


def test_a_licensed_file_with_a_malformed_section_is_refused(tmp_path):
    def bad_option(d: dict[str, Any]) -> None:
        d["answer_sets"][0]["options"][5]["value"] = "five"

    error = licensed_copy(tmp_path, bad_option)
    assert error.field == "answer_sets.0.choice.options.5.value"
