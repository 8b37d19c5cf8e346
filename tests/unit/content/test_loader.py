"""The content loader refuses malformed or unsourced content, naming the file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from nerveglide.content.loader import DATA_DIR, ContentError, content_digest, load_library
from nerveglide.content.schema import EXERCISE_IDS, SEED_000, SEED_002


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_packaged_content_loads():
    library = load_library()
    assert [e.id for e in library.exercises] == list(EXERCISE_IDS)
    assert {s.id for s in library.sources} >= {SEED_000, SEED_002}


def test_unsourced_step_is_rejected_naming_file_and_field(data):
    edit(data / "exercises/seated-leg-kick.yaml", lambda d: d["steps"][1].update(sources=[]))
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.file == "exercises/seated-leg-kick.yaml"
    assert caught.value.field == "steps.1.sources"
    assert "exercises/seated-leg-kick.yaml: steps.1.sources:" in str(caught.value)


def test_item_without_sources_field_is_rejected(data):
    edit(data / "about.yaml", lambda d: d["sections"][0]["items"][0].pop("sources"))
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert (caught.value.file, caught.value.field) == ("about.yaml", "sections.0.items.0.sources")
    assert "Field required" in caught.value.problem


def test_unknown_source_is_rejected(data):
    def cite_blog(d):
        d["rules"][0]["sources"][0]["source"] = "some-blog"

    edit(data / "safety.yaml", cite_blog)
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.file == "safety.yaml"
    assert caught.value.field == "rules.0.sources.0.source"
    assert "some-blog" in caught.value.problem


def test_malformed_yaml_names_the_file_and_line(data):
    path = data / "symptoms.yaml"
    path.write_text(path.read_text() + "\n  bad: [unclosed\n")
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.file == "symptoms.yaml"
    assert "not valid YAML" in str(caught.value)
    assert "line" in str(caught.value)


def test_wrong_type_names_the_field(data):
    edit(
        data / "exercises/seated-leg-raise.yaml",
        lambda d: d["doses"][1].update(reps_min="fifteen"),
    )
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.field == "doses.1.reps_min"


def test_dose_range_must_be_ordered(data):
    edit(
        data / "exercises/supine-nerve-glide.yaml",
        lambda d: d["doses"][0].update(reps_min=30),
    )
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert "reps_min is larger than reps_max" in str(caught.value)


def test_sourced_angle_needs_a_citation(data):
    def strip(d):
        d["reference_motion"]["phases"][0]["pose"]["leg"]["knee_flexion"]["sources"] = []

    edit(data / "exercises/seated-leg-raise.yaml", strip)
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.field.startswith("reference_motion.phases.0.pose.leg.knee_flexion")
    assert "needs at least one citation" in str(caught.value)


def test_phase_must_name_a_step_of_its_own_glide(data):
    def point_elsewhere(d):
        d["reference_motion"]["phases"][1]["step"] = "seated-leg-raise.step.raise"

    edit(data / "exercises/seated-leg-kick.yaml", point_elsewhere)
    with pytest.raises(ContentError, match="not a step here"):
        load_library(data)


def test_duplicate_item_id_across_files_is_rejected(data):
    edit(data / "symptoms.yaml", lambda d: d["caveats"][0].update(id="about.intro"))
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.file == "symptoms.yaml"
    assert "also used in about.yaml" in str(caught.value)


def test_unknown_safety_rule_is_rejected(data):
    edit(
        data / "exercises/supine-nerve-glide.yaml",
        lambda d: d["safety_rules"].append("safety.made-up"),
    )
    with pytest.raises(ContentError) as caught:
        load_library(data)
    assert caught.value.field == "safety_rules.4"


def test_missing_exercise_file_is_reported(data):
    (data / "exercises/seated-leg-kick.yaml").unlink()
    with pytest.raises(ContentError, match=r"exercises/seated-leg-kick\.yaml: file is missing"):
        load_library(data)


def test_unknown_exercise_file_is_reported(data):
    shutil.copy(data / "exercises/seated-leg-kick.yaml", data / "exercises/standing-kick.yaml")
    with pytest.raises(ContentError, match=r"standing-kick\.yaml"):
        load_library(data)


def test_digest_changes_with_any_content_byte(data):
    before = content_digest(data)
    assert before == content_digest(data)
    path = data / "about.yaml"
    path.write_text(path.read_text().replace("vertebrae", "vertebræ", 1))
    assert content_digest(data) != before
