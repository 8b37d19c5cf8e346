"""The FHIR R4 Bundle: valid for the ``fhir.resources`` models, LOINC-coded pain scores
with their body sites, references that resolve, and a round trip that loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from nerveglide.errors import InvalidInput
from nerveglide.fhir.mapping import (
    BODY_SITES,
    LOINC,
    LOINC_PAIN,
    SNOMED,
    bundle_content,
    from_bundle,
    report_bundle,
    to_bundle,
)
from nerveglide.fhir.validation import validate_bundle
from nerveglide.reports.model import QuestionnaireAnswer, QuestionnaireResult
from tests.unit.reports.factories import make_report, program, questionnaire_results


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC's mod-10 check digit (the last digit, after the dash)."""
    number, check = code.split("-")
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return (10 - total % 10) % 10 == int(check)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture(scope="module")
def report():
    return make_report(14)


@pytest.fixture(scope="module")
def bundle(report):
    return report_bundle(report)


def test_the_bundle_is_valid_for_the_fhir_models(bundle):
    parsed = validate_bundle(bundle)
    assert parsed.type == "collection"
    assert len(parsed.entry) == len(bundle["entry"])


def test_the_bundle_holds_a_resource_per_record(report, bundle):
    assert len(resources(bundle, "Patient")) == 1
    assert len(resources(bundle, "CarePlan")) == 1
    assert len(resources(bundle, "Procedure")) == len(report.sessions)
    checks = sum(
        2 + (s.pain_after_back is not None) + (s.pain_after_leg is not None)
        for s in report.sessions
    )
    assert len(resources(bundle, "Observation")) == checks + 2 * len(report.diary)
    assert resources(bundle, "QuestionnaireResponse") == []


def test_every_pain_score_is_loinc_72514_3_with_a_body_site(bundle):
    assert loinc_check_digit_ok(LOINC_PAIN)
    sites = {"back": 0, "leg": 0}
    for observation in resources(bundle, "Observation"):
        (coding,) = observation["code"]["coding"]
        assert (coding["system"], coding["code"]) == (LOINC, LOINC_PAIN)
        assert loinc_check_digit_ok(coding["code"])
        site = observation["bodySite"]["coding"][0]
        assert site["system"] == SNOMED
        name = next(k for k, (code, _) in BODY_SITES.items() if code == site["code"])
        sites[name] += 1
        assert 0 <= observation["valueInteger"] <= 10
        assert observation["status"] == "final"
    assert sites["back"] == sites["leg"] > 0


def test_every_reference_resolves_inside_the_bundle(bundle):
    urls = {e["fullUrl"] for e in bundle["entry"]}

    def walk(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            if "reference" in value:
                yield value["reference"]
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    references = list(walk(bundle))
    assert references
    assert set(references) <= urls


def test_sessions_carry_status_glides_repetitions_and_stops(report, bundle):
    procedures = {p["identifier"][0]["value"]: p for p in resources(bundle, "Procedure")}
    stopped = next(s for s in report.sessions if s.status == "stopped_hurt")
    procedure = procedures[stopped.id]
    assert procedure["status"] == "stopped"
    assert procedure["statusReason"]["coding"][0]["code"] == "stopped_hurt"
    assert procedure["complication"][0]["text"] == "Stopped: it hurt (7/10, left calf)"
    done = procedures[report.sessions[0].id]
    assert done["status"] == "completed"
    assert "statusReason" not in done


def test_the_program_is_a_careplan_with_times_a_day(bundle):
    (plan,) = resources(bundle, "CarePlan")
    (activity,) = plan["activity"]
    repeat = activity["detail"]["scheduledTiming"]["repeat"]
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (3, 1, "d")
    assert plan["status"] == "active"


def test_a_round_trip_loses_nothing_the_bundle_carries(report, bundle):
    content = bundle_content(report)
    assert from_bundle(bundle) == content
    # ... through JSON text, and through the fhir.resources model and back to JSON.
    assert from_bundle(json.loads(json.dumps(bundle))) == content
    parsed = validate_bundle(bundle)
    assert from_bundle(json.loads(parsed.model_dump_json())) == content
    assert json.loads(parsed.model_dump_json()) == bundle
    assert to_bundle(from_bundle(bundle)) == bundle


def test_the_same_records_give_the_same_bundle(report, bundle):
    assert report_bundle(report) == bundle


def test_program_versions_replace_each_other(report):
    second = program(2, created=report.period.start, times_per_day=2)
    changed = replace(report, programs=(program(), second))
    bundle = report_bundle(changed)
    validate_bundle(bundle)
    first_plan, second_plan = resources(bundle, "CarePlan")
    assert first_plan["status"] == "revoked"
    assert second_plan["replaces"][0]["reference"] == f"urn:uuid:{first_plan['id']}"
    assert from_bundle(bundle).programs == changed.programs


def test_questionnaire_responses_slot_in_and_round_trip(report):
    result = QuestionnaireResult(
        questionnaire_id="sciatica-bothersomeness-index",
        title="Sciatica Bothersomeness Index",
        taken_at=datetime(2025, 3, 10, 9, 30, tzinfo=UTC),
        score=11,
        baseline_score=15,
        minimal_change=None,
        change_kind="none_published",
        answers=(
            QuestionnaireAnswer("leg-pain", "Leg pain", value=4, code="very"),
            QuestionnaireAnswer("sitting", "Pain while sitting", value=2),
            QuestionnaireAnswer(
                "activity-1", "An activity you find hard", value=6, own_words="gardening"
            ),
        ),
    )
    bundle = report_bundle(replace(report, questionnaires=(result,)))
    validate_bundle(bundle)
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert from_bundle(bundle).questionnaires == (result,)


def test_questionnaires_carry_their_loinc_codes_and_compare_with_baseline(report):
    results = questionnaire_results(report.period.start, report.period.days)
    changed = replace(report, questionnaires=results)
    bundle = report_bundle(changed)
    validate_bundle(bundle)
    responses = resources(bundle, "QuestionnaireResponse")
    assert len(responses) == 3
    assert len({r["id"] for r in responses}) == 3
    start_back = next(r for r in responses if r["questionnaire"].endswith("start-back"))
    codes = {
        e["url"].rsplit(":", 1)[-1]: e["valueCoding"]["code"]
        for e in start_back["extension"]
        if "valueCoding" in e
    }
    assert codes == {"loinc-panel": "91349-1", "loinc-score": "91351-7"}
    (item,) = start_back["item"]
    (item_code,) = [e["valueCoding"] for e in item["extension"]]
    assert item_code == {"system": LOINC, "code": "91340-0"}
    assert all(loinc_check_digit_ok(c) for c in [*codes.values(), item_code["code"]])
    later = responses[-1]
    meets = [e for e in later["extension"] if e["url"].endswith("meets-minimal-change")]
    assert meets == [{"url": meets[0]["url"], "valueBoolean": True}]
    assert from_bundle(bundle).questionnaires == results
    assert from_bundle(bundle) == bundle_content(changed)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: {**b, "resourceType": "Patient"}, "not a FHIR Bundle"),
        (lambda b: {**b, "meta": {}}, "no period tag"),
    ],
)
def test_a_bundle_nerveglide_did_not_make_is_refused_by_name(bundle, change, message):
    with pytest.raises(InvalidInput, match=message):
        from_bundle(change(bundle))


def test_an_invalid_resource_fails_validation(bundle):
    broken = json.loads(json.dumps(bundle))
    observation = next(
        e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    observation["valueInteger"] = "seven"
    with pytest.raises(InvalidInput, match="not a valid FHIR R4 Bundle"):
        validate_bundle(broken)
