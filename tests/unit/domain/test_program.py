"""A person's own program: doses within what the sources give, settings where they don't."""

from __future__ import annotations

import pytest

from nerveglide.content.loader import load_library
from nerveglide.content.schema import SEED_000, SEED_002
from nerveglide.domain.program import SETTING, ProgramError, choose_dose, default_dose

LIB = load_library()
SUPINE = LIB.exercise("supine-nerve-glide")
RAISE = LIB.exercise("seated-leg-raise")
KICK = LIB.exercise("seated-leg-kick")


def test_a_dose_within_the_source_range_is_kept():
    dose = choose_dose(
        SUPINE, "left", dose="supine-nerve-glide.dose.000", reps=20, times_per_day=3, hold_s=5
    )
    assert (dose.reps, dose.times_per_day, dose.hold_s, dose.legs) == (20, 3, 5, ("left",))


def test_reps_outside_the_source_range_name_the_range():
    with pytest.raises(ProgramError) as caught:
        choose_dose(SUPINE, "left", dose="supine-nerve-glide.dose.000", reps=25)
    assert caught.value.field == "reps"
    assert f"source {SEED_000} gives 10 to 20 repetitions" in str(caught.value)
    assert "25 is outside that range" in str(caught.value)


def test_source_002_leg_raise_is_15_reps_up_to_five_times_a_day():
    dose = choose_dose(RAISE, "right", dose="seated-leg-raise.dose.002")
    assert dose.reps == 15
    with pytest.raises(ProgramError, match=f"source {SEED_002} gives 15 repetitions"):
        choose_dose(RAISE, "right", dose="seated-leg-raise.dose.002", reps=16)
    with pytest.raises(ProgramError, match="up to 5 times a day") as caught:
        choose_dose(RAISE, "right", dose="seated-leg-raise.dose.002", times_per_day=6)
    assert caught.value.field == "times_per_day"


def test_source_002_supine_glide_is_done_on_both_legs():
    assert choose_dose(SUPINE, "left", dose="supine-nerve-glide.dose.002").legs == ("left", "right")
    assert choose_dose(SUPINE, "left", dose="supine-nerve-glide.dose.000").legs == ("left",)
    assert choose_dose(RAISE, "both", dose="seated-leg-raise.dose.000").legs == ("left", "right")


def test_kick_reps_are_the_persons_setting():
    dose = choose_dose(KICK, "left", dose=SETTING, reps=12)
    assert dose.reps == 12
    assert dose.hold_s is None
    with pytest.raises(ProgramError, match="your setting"):
        choose_dose(KICK, "left", dose=SETTING, reps=0)
    with pytest.raises(ProgramError, match="no hold at the stretch"):
        choose_dose(KICK, "left", dose=SETTING, hold_s=3)


def test_a_source_dose_must_be_chosen_where_one_exists():
    with pytest.raises(ProgramError, match="choose one of"):
        choose_dose(SUPINE, "left", dose=SETTING)
    with pytest.raises(ProgramError, match="has no dose"):
        choose_dose(SUPINE, "left", dose="seated-leg-raise.dose.002")


def test_hold_is_a_setting_with_the_content_default():
    assert default_dose(SUPINE, "left").hold_s == 3
    with pytest.raises(ProgramError) as caught:
        choose_dose(SUPINE, "left", dose="supine-nerve-glide.dose.000", hold_s=-1)
    assert caught.value.field == "hold_s"
