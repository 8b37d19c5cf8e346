"""Where the seeds differ, both doses stand, each attributed; open values are settings."""

from __future__ import annotations

from nerveglide.content.loader import load_library
from nerveglide.content.schema import SEED_000, SEED_002


def test_supine_glide_keeps_both_sources_doses():
    glide = load_library().exercise("supine-nerve-glide")
    by_source = {d.source: d for d in glide.doses}
    assert set(by_source) == {SEED_000, SEED_002}
    for dose in by_source.values():
        assert (dose.reps_min, dose.reps_max, dose.times_per_day_max) == (10, 20, 3)
        assert dose.hold == "a few seconds"
    assert by_source[SEED_002].legs == "both"
    assert by_source[SEED_000].legs is None


def test_seated_leg_raise_doses_differ_by_source():
    raise_ = load_library().exercise("seated-leg-raise")
    by_source = {d.source: d for d in raise_.doses}
    assert (by_source[SEED_000].reps_min, by_source[SEED_000].reps_max) == (10, 20)
    assert by_source[SEED_000].times_per_day_max is None
    assert (by_source[SEED_002].reps_min, by_source[SEED_002].reps_max) == (15, 15)
    assert by_source[SEED_002].times_per_day_max == 5


def test_values_no_source_gives_are_settings():
    library = load_library()
    kick = library.exercise("seated-leg-kick")
    assert kick.doses == []
    assert "seated-leg-kick.setting.reps" in {s.id for s in kick.settings}
    supine = library.exercise("supine-nerve-glide")
    hold_phase = next(p for p in supine.reference_motion.phases if p.kind == "hold")
    assert hold_phase.duration.basis == "setting"
    assert hold_phase.duration.setting == "supine-nerve-glide.setting.hold"


def test_only_stated_angles_are_sourced():
    raise_ = load_library().exercise("seated-leg-raise")
    start = raise_.reference_motion.phases[0].pose
    assert start.leg.knee_flexion.basis == "source"
    assert start.leg.knee_flexion.deg == 90
    peak = raise_.reference_motion.phases[1].pose
    assert peak.leg.knee_flexion.basis == "illustrative"
    assert peak.trunk_lean.basis == "illustrative"
