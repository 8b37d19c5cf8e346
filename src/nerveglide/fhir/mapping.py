"""The progress report as a FHIR R4 Bundle, and the Bundle read back.

Pure: plain data in, JSON-ready dicts out, and back. :class:`BundleContent` is exactly
what a Bundle carries, so a round trip is checkable: ``from_bundle(to_bundle(c)) == c``.

A ``collection`` Bundle holds:

- one **Patient** (nerveglide keeps no name or other identity: the clinic links it);
- a **CarePlan** per program version in force in the period: each glide an activity with
  its times a day as ``scheduledTiming`` and the rest of its dose in extensions;
- a **Procedure** per session: status, period, the glides, repetitions done per glide and
  leg, and each "Stop: it hurts" (as a complication, and in an extension with its facts);
- an **Observation** per pain score: LOINC 72514-3 (pain severity, 0-10 verbal numeric
  rating, reported) for back and leg alike, told apart by ``bodySite`` (SNOMED CT
  37822005 lower back structure, 61685007 lower limb structure, as the clinical brief
  suggests), from the diary and the checks before and after each session (``partOf``
  the session's Procedure);
- a **QuestionnaireResponse** per questionnaire response: each answered item (option
  code with its score as ``ordinalValue``, or the number), the item's LOINC code where
  the questionnaire has one (extension ``item-code``), the questionnaire's LOINC panel and
  score codes, and the score, baseline and minimal change with its source in extensions.

Codes and extensions of nerveglide's own live under :data:`NS` (``urn:x-nerveglide``).
Every resource id is a UUID derived from what it describes, so the same records give the
same Bundle.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, cast

from nerveglide.errors import InvalidInput
from nerveglide.reports.model import (
    GlidePlan,
    Period,
    ProgramVersion,
    ProgressReport,
    QuestionnaireAnswer,
    QuestionnaireResult,
)

__all__ = [
    "BODY_SITES",
    "LOINC",
    "LOINC_PAIN",
    "NS",
    "SNOMED",
    "BundleContent",
    "PainScore",
    "SessionEntry",
    "StopEntry",
    "bundle_content",
    "from_bundle",
    "report_bundle",
    "to_bundle",
]

NS = "urn:x-nerveglide"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
LOINC_PAIN = "72514-3"
LOINC_PAIN_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
Site = Literal["back", "leg"]
Context = Literal["before-session", "after-session", "diary"]
BODY_SITES: dict[str, tuple[str, str]] = {
    "back": ("37822005", "Lower back structure"),
    "leg": ("61685007", "Lower limb structure"),
}
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NS)
_PROCEDURE_STATUS = {
    "completed": "completed",
    "ended_early": "stopped",
    "stopped_hurt": "stopped",
    "in_progress": "in-progress",
}
_STATUS_TEXT = {
    "completed": "completed",
    "ended_early": "ended early",
    "stopped_hurt": "stopped: it hurt",
    "in_progress": "not finished",
}


def _ext(name: str) -> str:
    return f"{NS}:extension:{name}"


def _system(name: str) -> str:
    return f"{NS}:{name}"


@dataclass(frozen=True)
class StopEntry:
    occurred_at: datetime
    pain: int
    areas: tuple[tuple[str, str], ...]  # (area, side)


@dataclass(frozen=True)
class SessionEntry:
    """What a Procedure carries of a session."""

    id: str
    program_id: int
    status: str
    source: str
    started_at: datetime
    ended_at: datetime | None
    glides: tuple[str, ...]
    counts: tuple[tuple[str, str, int], ...]  # (glide, leg, repetitions)
    felt_worse: bool | None = None
    spread: bool | None = None
    stops: tuple[StopEntry, ...] = ()


@dataclass(frozen=True)
class PainScore:
    """One 0-10 pain rating: a diary day's (``effective`` a date) or a session check's."""

    site: Site
    value: int
    context: Context
    effective: datetime | date
    session_id: str | None = None


@dataclass(frozen=True)
class BundleContent:
    period: Period
    generated_at: datetime
    timezone: str
    programs: tuple[ProgramVersion, ...] = ()
    sessions: tuple[SessionEntry, ...] = ()
    pain: tuple[PainScore, ...] = ()
    questionnaires: tuple[QuestionnaireResult, ...] = ()


def bundle_content(report: ProgressReport) -> BundleContent:
    """The part of ``report`` a Bundle carries."""
    pain: list[PainScore] = []
    sessions = []
    for s in report.sessions:
        sessions.append(
            SessionEntry(
                id=s.id,
                program_id=s.program_id,
                status=s.status,
                source=s.source,
                started_at=s.started_at,
                ended_at=s.ended_at,
                glides=s.glides,
                counts=tuple((g, leg, n) for (g, leg), n in s.counts().items()),
                felt_worse=s.felt_worse,
                spread=s.spread,
                stops=tuple(StopEntry(x.occurred_at, x.pain, x.areas) for x in s.stops),
            )
        )
        pain.append(PainScore("back", s.pain_before_back, "before-session", s.started_at, s.id))
        pain.append(PainScore("leg", s.pain_before_leg, "before-session", s.started_at, s.id))
        after_at = s.ended_at or s.started_at
        if s.pain_after_back is not None:
            pain.append(PainScore("back", s.pain_after_back, "after-session", after_at, s.id))
        if s.pain_after_leg is not None:
            pain.append(PainScore("leg", s.pain_after_leg, "after-session", after_at, s.id))
    for d in report.diary:
        pain.append(PainScore("back", d.back_pain, "diary", d.entry_date))
        pain.append(PainScore("leg", d.leg_pain, "diary", d.entry_date))
    return BundleContent(
        period=report.period,
        generated_at=report.generated_at,
        timezone=report.timezone,
        programs=report.programs,
        sessions=tuple(sessions),
        pain=tuple(pain),
        questionnaires=report.questionnaires,
    )


def report_bundle(report: ProgressReport) -> dict[str, Any]:
    return to_bundle(bundle_content(report))


# --- to FHIR ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _id(kind: str, *key: object) -> str:
    """A resource's id, derived from what it describes (cached: a session's id is asked
    for by its Procedure and by each of its pain scores)."""
    return str(uuid.uuid5(_ID_NAMESPACE, ":".join([kind, *map(str, key)])))


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _time(moment: datetime) -> str:
    """UTC, written with a ``Z`` as FHIR servers and ``fhir.resources`` write it."""
    if moment.tzinfo is None:
        raise ValueError(f"a naive datetime ({moment.isoformat()}) has no place in FHIR")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _careplan(
    version: ProgramVersion,
    following: ProgramVersion | None,
    previous: ProgramVersion | None,
    patient: str,
    generated_at: datetime,
) -> dict[str, Any]:
    active = following is None or following.created_at > generated_at
    period = {"start": _time(version.created_at)}
    if following is not None:
        period["end"] = _time(following.created_at)
    activities = []
    for glide in version.glides:
        detail: dict[str, Any] = {
            "extension": [
                {"url": _ext("dose"), "valueString": glide.dose},
                {"url": _ext("reps"), "valueInteger": glide.reps},
                {"url": _ext("sets"), "valueInteger": glide.sets},
                {"url": _ext("pace-seconds"), "valueDecimal": glide.pace_s},
                *(
                    [{"url": _ext("hold-seconds"), "valueDecimal": glide.hold_s}]
                    if glide.hold_s is not None
                    else []
                ),
                *({"url": _ext("leg"), "valueCode": leg} for leg in glide.legs),
            ],
            "code": {
                "coding": [
                    {"system": _system("glide"), "code": glide.exercise_id, "display": glide.name}
                ],
                "text": glide.name,
            },
            "status": "in-progress" if active else "stopped",
            "description": glide.describe(),
        }
        if glide.times_per_day:
            detail["scheduledTiming"] = {
                "repeat": {"frequency": glide.times_per_day, "period": 1, "periodUnit": "d"}
            }
        activities.append({"detail": detail})
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": _id("program", version.id),
        "extension": [{"url": _ext("affected-leg"), "valueCode": version.affected}],
        "identifier": [{"system": _system("program"), "value": str(version.id)}],
        "status": "active" if active else "revoked",
        "intent": "plan",
        "title": f"Sciatic nerve-glide program, version {version.id}",
        "description": f"Nerve glides for sciatica; affected leg: {version.affected}.",
        "subject": _ref(patient),
        "period": period,
        "created": _time(version.created_at),
        "activity": activities,
    }
    if previous is not None:
        resource["replaces"] = [_ref(_id("program", previous.id))]
    return resource


def _procedure(session: SessionEntry, patient: str, names: Mapping[str, str]) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = [{"url": _ext("source"), "valueCode": session.source}]
    extensions += [
        {
            "url": _ext("glide"),
            "valueCoding": {
                "system": _system("glide"),
                "code": glide,
                "display": names.get(glide, glide),
            },
        }
        for glide in session.glides
    ]
    extensions += [
        {
            "url": _ext("repetitions"),
            "extension": [
                {"url": "glide", "valueCode": glide},
                {"url": "leg", "valueCode": leg},
                {"url": "count", "valueInteger": count},
            ],
        }
        for glide, leg, count in session.counts
    ]
    if session.felt_worse is not None:
        extensions.append({"url": _ext("felt-worse"), "valueBoolean": session.felt_worse})
    if session.spread is not None:
        extensions.append({"url": _ext("spread"), "valueBoolean": session.spread})
    extensions += [
        {
            "url": _ext("stop"),
            "extension": [
                {"url": "occurred", "valueDateTime": _time(stop.occurred_at)},
                {"url": "pain", "valueInteger": stop.pain},
                *({"url": "area", "valueString": f"{side} {area}"} for area, side in stop.areas),
            ],
        }
        for stop in session.stops
    ]
    period = {"start": _time(session.started_at)}
    if session.ended_at is not None:
        period["end"] = _time(session.ended_at)
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": _id("session", session.id),
        "extension": extensions,
        "identifier": [{"system": _system("session"), "value": session.id}],
        "basedOn": [_ref(_id("program", session.program_id))],
        "status": _PROCEDURE_STATUS[session.status],
        "code": {
            "coding": [
                {
                    "system": _system("activity"),
                    "code": "nerve-glide-session",
                    "display": "Sciatic nerve-glide exercise session",
                }
            ],
            "text": "Sciatic nerve glides: " + ", ".join(names.get(g, g) for g in session.glides),
        },
        "subject": _ref(patient),
        "performedPeriod": period,
    }
    if session.status != "completed":
        resource["statusReason"] = {
            "coding": [
                {
                    "system": _system("session-status"),
                    "code": session.status,
                    "display": _STATUS_TEXT[session.status],
                }
            ],
            "text": _STATUS_TEXT[session.status],
        }
    if session.stops:
        resource["complication"] = [
            {
                "text": f"Stopped: it hurt ({stop.pain}/10, "
                + (", ".join(f"{side} {area}" for area, side in stop.areas) or "where not said")
                + ")"
            }
            for stop in session.stops
        ]
    return resource


def _observation(score: PainScore, patient: str) -> dict[str, Any]:
    code, display = BODY_SITES[score.site]
    if isinstance(score.effective, datetime):
        key: object = score.session_id
        effective = _time(score.effective)
    else:
        key = score.effective.isoformat()
        effective = score.effective.isoformat()
    where = {"before-session": "before a session", "after-session": "after a session"}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _id("pain", score.context, score.site, key),
        "extension": [{"url": _ext("pain-context"), "valueCode": score.context}],
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [{"system": LOINC, "code": LOINC_PAIN, "display": LOINC_PAIN_DISPLAY}],
            "text": f"{score.site.capitalize()} pain (0-10), "
            + where.get(score.context, "daily diary"),
        },
        "subject": _ref(patient),
        "effectiveDateTime": effective,
        "valueInteger": score.value,
        "bodySite": {
            "coding": [{"system": SNOMED, "code": code, "display": display}],
            "text": score.site,
        },
    }
    if score.session_id is not None:
        resource["partOf"] = [_ref(_id("session", score.session_id))]
    return resource


def _questionnaire_response(result: QuestionnaireResult, patient: str) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = [
        {"url": _ext("questionnaire-title"), "valueString": result.title},
        {"url": _ext("better"), "valueCode": result.better},
        {"url": _ext("change-kind"), "valueCode": result.change_kind},
        {"url": _ext("baseline"), "valueBoolean": result.baseline},
    ]
    for name, number in (
        ("score", result.score),
        ("score-min", result.score_min),
        ("score-max", result.score_max),
        ("baseline-score", result.baseline_score),
        ("minimal-change", result.minimal_change),
        ("minimal-change-percent", result.minimal_change_percent),
    ):
        if number is not None:
            extensions.append({"url": _ext(name), "valueDecimal": number})
    for name, text in (
        ("questionnaire-short-title", result.short_title),
        ("minimal-change-source", result.minimal_change_source),
        ("band", result.band),
    ):
        if text is not None:
            extensions.append({"url": _ext(name), "valueString": text})
    if result.meets is not None:
        extensions.append({"url": _ext("meets-minimal-change"), "valueBoolean": result.meets})
    for name, loinc in (("loinc-panel", result.loinc_panel), ("loinc-score", result.loinc_score)):
        if loinc is not None:
            extensions.append({"url": _ext(name), "valueCoding": {"system": LOINC, "code": loinc}})
    items = []
    for answer in result.answers:
        item: dict[str, Any] = {"linkId": answer.link_id, "text": answer.text}
        item_extensions: list[dict[str, Any]] = []
        if answer.loinc is not None:
            item_extensions.append(
                {"url": _ext("item-code"), "valueCoding": {"system": LOINC, "code": answer.loinc}}
            )
        if answer.own_words is not None:
            item_extensions.append({"url": _ext("own-words"), "valueString": answer.own_words})
        if item_extensions:
            item["extension"] = item_extensions
        if answer.code is not None:
            coding: dict[str, Any] = {
                "system": _system(f"questionnaire:{result.questionnaire_id}:answer"),
                "code": answer.code,
            }
            if answer.value is not None:
                coding["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": answer.value}]
            item["answer"] = [{"valueCoding": coding}]
        elif answer.value is not None:
            item["answer"] = [{"valueInteger": answer.value}]
        items.append(item)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": _id("questionnaire", result.questionnaire_id, _time(result.taken_at)),
        "extension": extensions,
        "questionnaire": _system(f"questionnaire:{result.questionnaire_id}"),
        "status": "completed",
        "subject": _ref(patient),
        "authored": _time(result.taken_at),
    }
    if items:
        resource["item"] = items
    return resource


def to_bundle(content: BundleContent) -> dict[str, Any]:
    """The FHIR R4 Bundle (type ``collection``) as a JSON-ready dict."""
    patient = _id("patient", "self")
    names = {g.exercise_id: g.name for p in content.programs for g in p.glides}
    resources: list[dict[str, Any]] = [{"resourceType": "Patient", "id": patient, "active": True}]
    programs = content.programs
    for index, version in enumerate(programs):
        resources.append(
            _careplan(
                version,
                programs[index + 1] if index + 1 < len(programs) else None,
                programs[index - 1] if index > 0 else None,
                patient,
                content.generated_at,
            )
        )
    resources += [_procedure(s, patient, names) for s in content.sessions]
    resources += [_observation(p, patient) for p in content.pain]
    resources += [_questionnaire_response(q, patient) for q in content.questionnaires]
    return {
        "resourceType": "Bundle",
        "id": _id(
            "bundle",
            content.period.start,
            content.period.end,
            _time(content.generated_at),
        ),
        "meta": {
            "tag": [
                {
                    "system": _system("period"),
                    "code": f"{content.period.start}/{content.period.end}",
                    "display": f"Records from {content.period.label()}",
                },
                {"system": _system("timezone"), "code": content.timezone},
            ]
        },
        "type": "collection",
        "timestamp": _time(content.generated_at),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


# --- from FHIR -------------------------------------------------------------------------


class _Reader:
    """Reads what :func:`to_bundle` writes; anything else is refused by name."""

    def __init__(self, bundle: Mapping[str, Any]) -> None:
        if bundle.get("resourceType") != "Bundle":
            raise InvalidInput("not a FHIR Bundle: resourceType is not 'Bundle'")
        self.entries = [e.get("resource", {}) for e in bundle.get("entry", [])]
        self.by_url = {e.get("fullUrl"): e.get("resource", {}) for e in bundle.get("entry", [])}

    def of(self, kind: str) -> list[Mapping[str, Any]]:
        return [r for r in self.entries if r.get("resourceType") == kind]

    def target(self, reference: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
        found = self.by_url.get(reference.get("reference"))
        if found is None or found.get("resourceType") != kind:
            raise InvalidInput(
                f"the reference {reference.get('reference')!r} does not point to a {kind} "
                "in the Bundle"
            )
        return cast(Mapping[str, Any], found)


def _extensions(resource: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    url = name if ":" in name else _ext(name)
    return [e for e in resource.get("extension", []) if e.get("url") == url]


def _one(resource: Mapping[str, Any], name: str, kind: str) -> Any:
    found = _extensions(resource, name)
    if not found:
        raise InvalidInput(f"{resource.get('resourceType')}: the extension {name!r} is missing")
    return found[0][f"value{kind}"]


def _maybe(resource: Mapping[str, Any], name: str, kind: str) -> Any:
    found = _extensions(resource, name)
    return found[0][f"value{kind}"] if found else None


def _identifier(resource: Mapping[str, Any], system: str) -> str:
    for identifier in resource.get("identifier", []):
        if identifier.get("system") == _system(system):
            return str(identifier["value"])
    raise InvalidInput(f"{resource.get('resourceType')}: no identifier of system {system!r}")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _read_program(resource: Mapping[str, Any]) -> ProgramVersion:
    glides = []
    for activity in resource.get("activity", []):
        detail = activity["detail"]
        coding = detail["code"]["coding"][0]
        repeat = detail.get("scheduledTiming", {}).get("repeat", {})
        hold = _maybe(detail, "hold-seconds", "Decimal")
        glides.append(
            GlidePlan(
                exercise_id=coding["code"],
                name=coding.get("display", coding["code"]),
                dose=_one(detail, "dose", "String"),
                reps=int(_one(detail, "reps", "Integer")),
                sets=int(_one(detail, "sets", "Integer")),
                times_per_day=repeat.get("frequency"),
                pace_s=float(_one(detail, "pace-seconds", "Decimal")),
                hold_s=None if hold is None else float(hold),
                legs=tuple(e["valueCode"] for e in _extensions(detail, "leg")),
            )
        )
    return ProgramVersion(
        id=int(_identifier(resource, "program")),
        created_at=_parse_time(resource["created"]),
        affected=_one(resource, "affected-leg", "Code"),
        glides=tuple(glides),
    )


def _parts(extension: Mapping[str, Any]) -> dict[str, list[Any]]:
    parts: dict[str, list[Any]] = {}
    for part in extension.get("extension", []):
        value = next(v for k, v in part.items() if k.startswith("value"))
        parts.setdefault(part["url"], []).append(value)
    return parts


def _read_session(resource: Mapping[str, Any], reader: _Reader) -> SessionEntry:
    reason = resource.get("statusReason", {}).get("coding", [{}])[0].get("code")
    status = reason or {"completed": "completed", "in-progress": "in_progress"}.get(
        resource["status"], resource["status"]
    )
    counts = []
    for extension in _extensions(resource, "repetitions"):
        parts = _parts(extension)
        counts.append((parts["glide"][0], parts["leg"][0], int(parts["count"][0])))
    stops = []
    for extension in _extensions(resource, "stop"):
        parts = _parts(extension)
        areas = tuple(
            (area, side) for side, area in (text.split(" ", 1) for text in parts.get("area", []))
        )
        stops.append(StopEntry(_parse_time(parts["occurred"][0]), int(parts["pain"][0]), areas))
    plan = reader.target(resource["basedOn"][0], "CarePlan")
    period = resource["performedPeriod"]
    return SessionEntry(
        id=_identifier(resource, "session"),
        program_id=int(_identifier(plan, "program")),
        status=status,
        source=_one(resource, "source", "Code"),
        started_at=_parse_time(period["start"]),
        ended_at=_parse_time(period["end"]) if "end" in period else None,
        glides=tuple(e["valueCoding"]["code"] for e in _extensions(resource, "glide")),
        counts=tuple(counts),
        felt_worse=_maybe(resource, "felt-worse", "Boolean"),
        spread=_maybe(resource, "spread", "Boolean"),
        stops=tuple(stops),
    )


def _read_pain(resource: Mapping[str, Any], reader: _Reader) -> PainScore:
    codings = resource.get("code", {}).get("coding", [])
    if not any(c.get("system") == LOINC and c.get("code") == LOINC_PAIN for c in codings):
        raise InvalidInput(f"Observation {resource.get('id')}: not a LOINC {LOINC_PAIN} pain score")
    site_code = resource["bodySite"]["coding"][0]["code"]
    site = next((s for s, (code, _) in BODY_SITES.items() if code == site_code), None)
    if site is None:
        raise InvalidInput(f"Observation {resource.get('id')}: unknown body site {site_code!r}")
    text = resource["effectiveDateTime"]
    effective: datetime | date = date.fromisoformat(text) if len(text) == 10 else _parse_time(text)
    session_id = None
    if resource.get("partOf"):
        session_id = _identifier(reader.target(resource["partOf"][0], "Procedure"), "session")
    return PainScore(
        site=cast(Site, site),
        value=int(resource["valueInteger"]),
        context=cast(Context, _one(resource, "pain-context", "Code")),
        effective=effective,
        session_id=session_id,
    )


def _read_questionnaire(resource: Mapping[str, Any]) -> QuestionnaireResult:
    prefix = _system("questionnaire:")
    questionnaire_id = str(resource["questionnaire"]).removeprefix(prefix)
    answers = []
    for item in resource.get("item", []):
        value: int | None = None
        code: str | None = None
        for answer in item.get("answer", []):
            if "valueCoding" in answer:
                code = answer["valueCoding"]["code"]
                ordinal = _maybe(answer["valueCoding"], ORDINAL_VALUE, "Decimal")
                value = None if ordinal is None else int(ordinal)
            elif "valueInteger" in answer:
                value = int(answer["valueInteger"])
        item_code = _maybe(item, "item-code", "Coding")
        answers.append(
            QuestionnaireAnswer(
                link_id=item["linkId"],
                text=item.get("text", ""),
                value=value,
                code=code,
                own_words=_maybe(item, "own-words", "String"),
                loinc=None if item_code is None else item_code["code"],
            )
        )
    panel = _maybe(resource, "loinc-panel", "Coding")
    score_code = _maybe(resource, "loinc-score", "Coding")
    return QuestionnaireResult(
        questionnaire_id=questionnaire_id,
        title=_one(resource, "questionnaire-title", "String"),
        short_title=_maybe(resource, "questionnaire-short-title", "String"),
        taken_at=_parse_time(resource["authored"]),
        score=_maybe(resource, "score", "Decimal"),
        score_min=_maybe(resource, "score-min", "Decimal"),
        score_max=_maybe(resource, "score-max", "Decimal"),
        better=_one(resource, "better", "Code"),
        baseline_score=_maybe(resource, "baseline-score", "Decimal"),
        baseline=bool(_maybe(resource, "baseline", "Boolean")),
        minimal_change=_maybe(resource, "minimal-change", "Decimal"),
        minimal_change_percent=_maybe(resource, "minimal-change-percent", "Decimal"),
        minimal_change_source=_maybe(resource, "minimal-change-source", "String"),
        change_kind=_one(resource, "change-kind", "Code"),
        meets=_maybe(resource, "meets-minimal-change", "Boolean"),
        band=_maybe(resource, "band", "String"),
        loinc_panel=None if panel is None else panel["code"],
        loinc_score=None if score_code is None else score_code["code"],
        answers=tuple(answers),
    )


def _tag(bundle: Mapping[str, Any], name: str) -> str:
    for tag in bundle.get("meta", {}).get("tag", []):
        if tag.get("system") == _system(name):
            return str(tag["code"])
    raise InvalidInput(f"the Bundle has no {name} tag: it was not made by nerveglide")


def from_bundle(bundle: Mapping[str, Any]) -> BundleContent:
    """Read a Bundle made by :func:`to_bundle` back. Raises :class:`InvalidInput` naming
    what is missing when it was made otherwise."""
    reader = _Reader(bundle)
    start, _, end = _tag(bundle, "period").partition("/")
    try:
        period = Period(date.fromisoformat(start), date.fromisoformat(end))
        return BundleContent(
            period=period,
            generated_at=_parse_time(bundle["timestamp"]),
            timezone=_tag(bundle, "timezone"),
            programs=tuple(_read_program(r) for r in reader.of("CarePlan")),
            sessions=tuple(_read_session(r, reader) for r in reader.of("Procedure")),
            pain=tuple(_read_pain(r, reader) for r in reader.of("Observation")),
            questionnaires=tuple(
                _read_questionnaire(r) for r in reader.of("QuestionnaireResponse")
            ),
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise InvalidInput(f"the Bundle is not one nerveglide reads: {exc!r}") from None
