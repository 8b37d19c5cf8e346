"""Response bodies of the JSON API, so the OpenAPI schema says exactly what each route
answers (the request bodies are in :mod:`nerveglide.web.schemas`).

Every model forbids keys it does not declare: a route that starts returning something new
fails loudly (FastAPI validates what a route returns against its model) until the model,
and so the schema, says it. Times are ISO 8601 strings with their UTC offset.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "API_ERRORS",
    "ApiOut",
    "CountOut",
    "DiaryEntryOut",
    "DiaryRevisionOut",
    "ErrorOut",
    "ExerciseSummaryOut",
    "FiredRuleOut",
    "LiveStartOut",
    "MeOut",
    "PainOut",
    "ProgramGlideOut",
    "ProgramOut",
    "QuestionnaireChangeOut",
    "QuestionnaireLatestOut",
    "QuestionnaireResultOut",
    "QuestionnaireStatusOut",
    "RecordingOut",
    "RepetitionOut",
    "RepetitionSavedOut",
    "SafetyOut",
    "SeenDoctorOut",
    "SessionOut",
    "SessionStartedOut",
    "StepOut",
    "StopOut",
    "Timestamp",
    "VerdictOut",
]

Timestamp = Annotated[
    str,
    Field(
        description="ISO 8601 date and time with its UTC offset",
        examples=["2026-11-22T10:00:00+00:00"],
    ),
]


class ApiOut(BaseModel):
    """A response body: only the keys it declares."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(ApiOut):
    """What every refused API request answers: its status again, and a sentence saying
    what was wrong (naming the field, for bad input)."""

    error: int = Field(description="the HTTP status code")
    detail: str = Field(description="what was wrong, in words")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


#: The errors any API route may answer (documented on every operation).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body could not be read (not valid JSON, for instance)."),
    401: _error("Nobody is logged in (or the login session has ended)."),
    403: _error(
        "Not permitted: this account's role may not do it, or the write came without the "
        "session's CSRF token (X-CSRF-Token) or from another site."
    ),
    404: _error("There is no such object, or it is not one this account may see."),
    422: _error("A value is missing or not accepted; the detail names the field."),
}


class MeOut(ApiOut):
    id: int
    role: str = Field(description="patient, clinician or admin")
    email: str
    display_name: str
    csrf_token: str = Field(description="send it in X-CSRF-Token with every API write")


class ExerciseSummaryOut(ApiOut):
    id: str
    name: str
    summary: str
    url: str


class ProgramGlideOut(ApiOut):
    exercise_id: str
    dose: str = Field(description="a source dose id, or 'setting'")
    reps: int
    sets: int
    times_per_day: int | None
    hold_s: float | None
    pace_s: float
    rest_between_reps_s: float
    rest_between_sets_s: float
    get_ready_s: float
    legs: list[str]


class ProgramOut(ApiOut):
    id: int | None
    affected_leg: str
    glides: list[ProgramGlideOut]


class PainOut(ApiOut):
    back: int
    leg: int


class RepetitionOut(ApiOut):
    exercise_id: str
    leg: str
    set_no: int
    rep_no: int
    attempt: int
    started_at: Timestamp
    ended_at: Timestamp
    hold_s: float | None
    counted_by: str = Field(description="timer or camera")
    range_deg: float | None
    measures: dict[str, Any] | None


class CountOut(ApiOut):
    exercise_id: str
    leg: str
    reps: int


class AreaOut(ApiOut):
    area: str
    side: str


class StopOut(ApiOut):
    occurred_at: Timestamp
    pain: int
    areas: list[AreaOut]
    exercise_id: str | None
    leg: str | None
    set_no: int | None
    rep_no: int | None
    step_kind: str | None


class SessionOut(ApiOut):
    id: str
    program_id: int
    source: str
    status: str
    glides: list[str]
    started_at: Timestamp
    ended_at: Timestamp | None
    pain_before: PainOut
    pain_after: PainOut | None
    felt_worse: bool | None
    spread: bool | None
    repetitions: list[RepetitionOut]
    counts: list[CountOut]
    stops: list[StopOut]


class StepOut(ApiOut):
    index: int
    kind: str
    exercise_id: str
    leg: str
    set_no: int
    rep_no: int
    sets: int
    reps: int
    seconds: float
    phase_id: str | None
    step_item: str | None
    cue: str


class SessionStartedOut(SessionOut):
    timeline: list[StepOut]


class RepetitionSavedOut(ApiOut):
    saved: bool
    new: bool = Field(description="false when this repetition was already saved")


class FiredRuleOut(ApiOut):
    rule_id: str
    version: int
    tier: str
    title: str
    message: str
    why: str


class VerdictOut(ApiOut):
    tier: str = Field(description="emergency, see_doctor, mention or ok")
    blocks_sessions: bool
    rules_version: str
    fired: list[FiredRuleOut]
    screening_due: bool | None


class SafetyOut(VerdictOut):
    settings: dict[str, int]


class SeenDoctorOut(ApiOut):
    cleared: list[str] = Field(description="the rules whose pause this cleared")


class DiaryEntryOut(ApiOut):
    date: str = Field(description="ISO 8601 date")
    back_pain: int
    leg_pain: int
    numbness: str
    weakness: str
    reach: dict[str, list[str]]
    sleep_disturbed: bool | None
    note: str | None


class DiaryRevisionOut(DiaryEntryOut):
    saved_at: Timestamp


class QuestionnaireLatestOut(ApiOut):
    answered_at: Timestamp
    total: float | None
    band: str | None


class QuestionnaireChangeOut(ApiOut):
    baseline: float
    now: float
    improvement: float
    threshold: str
    meets: bool | None


class QuestionnaireStatusOut(ApiOut):
    id: str
    title: str
    due: bool
    due_reason: str
    interval_days: int
    interval_is_default: bool
    responses: int
    latest: QuestionnaireLatestOut | None
    change: QuestionnaireChangeOut | None


class QuestionnaireResultOut(ApiOut):
    questionnaire: str
    total: float | None
    subscales: dict[str, float | None]
    band: str | None
    missing: list[str]


class RecordingOut(ApiOut):
    id: int
    session_id: str
    content_type: str
    size_bytes: int
    created_at: Timestamp
    url: str


class LiveStartOut(ApiOut):
    session: str
    token: str = Field(description="the secret the WebSocket's hello carries")
    protocol: int
    websocket: str
    max_message_bytes: int
    max_frames_per_s: float
