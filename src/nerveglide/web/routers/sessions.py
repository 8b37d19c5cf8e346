"""The session player (``/session``), its JSON API, and the session history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from nerveglide.config import Settings
from nerveglide.content.safety_rules import RuleSet
from nerveglide.content.schema import Library
from nerveglide.domain.events import EventError, PainArea, StopReported
from nerveglide.errors import InvalidInput, NotFound, SafetyStop, ScreeningDue
from nerveglide.services.programs import StoredProgram, current_program, program_by_id
from nerveglide.services.safety import current_verdict, is_screening_due
from nerveglide.services.sessions import (
    PainCheck,
    RepRecord,
    SessionView,
    finish_session,
    history,
    record_repetition,
    record_stop,
    resumable_session,
    session_timeline,
    session_view,
    start_session,
)
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.web import views
from nerveglide.web.deps import (
    LibraryDep,
    RulesDep,
    SettingsDep,
    UoWDep,
    changes_no_safety_fact,
)
from nerveglide.web.live_messages import MAX_FRAMES_PER_S, MAX_MESSAGE_BYTES
from nerveglide.web.responses import RepetitionSavedOut, SessionOut, SessionStartedOut, StepOut
from nerveglide.web.schemas import FinishIn, RepetitionIn, SessionIn, StopIn
from nerveglide.web.templating import templates

router = APIRouter()

#: Where the app serves the MediaPipe Pose web runtime (npm ``@mediapipe/pose``).
POSE_ASSETS_ROUTE = "/vendor/mediapipe-pose"

ADVICE_RULES = ("safety.never-force", "safety.stop-if-pain", "safety.persists-or-worsens")


def _program_of(uow: AbstractUnitOfWork, view: SessionView) -> StoredProgram:
    stored = program_by_id(uow, view.program_id)
    if stored is None:  # pragma: no cover - a foreign key keeps it
        raise NotFound(f"The program of session {view.id} is gone.")
    return stored


def _timeline_json(
    library: Library, stored: StoredProgram, view: SessionView, remaining: bool
) -> list[dict[str, object]]:
    return [
        s.as_dict() for s in session_timeline(library, stored.program, view, remaining=remaining)
    ]


def _safety_redirect(uow: AbstractUnitOfWork, rules: RuleSet) -> RedirectResponse | None:
    """Where the person goes instead of a session: the screening, or the safety pages."""
    now = datetime.now(UTC)
    if is_screening_due(uow, rules, now):
        return RedirectResponse("/screening?next=/session", status_code=303)
    verdict = current_verdict(uow, rules, now)
    if verdict.blocks_sessions:
        target = "/safety/emergency" if verdict.emergency else "/safety/why"
        return RedirectResponse(target, status_code=303)
    return None


@router.get("/session", response_class=HTMLResponse)
def session_start_page(
    request: Request, library: LibraryDep, rules: RulesDep, uow: UoWDep
) -> Response:
    return start_page(request, library, rules, uow, camera=False)


def start_page(
    request: Request, library: Library, rules: RuleSet, uow: AbstractUnitOfWork, *, camera: bool
) -> Response:
    """The pain check that starts a session (with the camera coach when ``camera``)."""
    stored = current_program(uow)
    if stored is not None and (redirect := _safety_redirect(uow, rules)) is not None:
        return redirect
    return templates.TemplateResponse(
        request,
        "session_start.html",
        {
            "library": library,
            "page": "coach" if camera else "session",
            "stored": stored,
            "resumable": resumable_session(uow),
            "camera": camera,
        },
    )


@router.post("/session", response_class=HTMLResponse)
async def session_start_form(
    request: Request, library: LibraryDep, rules: RulesDep, uow: UoWDep
) -> Response:
    form = await request.form()
    stored = current_program(uow)
    if stored is None:
        return RedirectResponse("/program", status_code=303)
    try:
        pain = PainCheck(
            back=_score(form.get("pain_back"), "pain_back"),
            leg=_score(form.get("pain_leg"), "pain_leg"),
        )
        glides = [str(g) for g in form.getlist("glides")]
        view = start_session(
            uow,
            rules=rules,
            program=stored,
            pain_before=pain,
            now=datetime.now(UTC),
            glides=glides or None,
        )
    except (ScreeningDue, SafetyStop):
        redirect = _safety_redirect(uow, rules)
        return redirect or RedirectResponse("/safety/why", status_code=303)
    except InvalidInput as exc:
        return templates.TemplateResponse(
            request,
            "session_start.html",
            {
                "library": library,
                "page": "session",
                "stored": stored,
                "resumable": resumable_session(uow),
                "error": exc.message,
                "camera": form.get("mode") == "camera",
            },
            status_code=422,
        )
    uow.commit()
    where = "coach" if form.get("mode") == "camera" else "session"
    return RedirectResponse(f"/{where}/{view.id}", status_code=303)


def camera_settings(settings: Settings) -> dict[str, object]:
    """What the camera page needs to know: where the pose runtime is, which model, and
    the message bounds of the live coach."""
    return {
        "assets": POSE_ASSETS_ROUTE + "/",
        "model": settings.pose_model,
        "inference": settings.pose_inference,
        "max_message_bytes": MAX_MESSAGE_BYTES,
        "max_fps": MAX_FRAMES_PER_S,
        "recording_max_bytes": settings.recording_max_mb * 1024 * 1024,
    }


def _score(raw: object, name: str) -> int:
    text = "" if raw is None else str(raw).strip()
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise InvalidInput(f"{name}: choose a number from 0 to 10")
    return int(text)


@router.get("/session/{session_id}", response_class=HTMLResponse)
def player_page(
    request: Request,
    session_id: str,
    library: LibraryDep,
    rules: RulesDep,
    uow: UoWDep,
    settings: SettingsDep,
) -> Response:
    return player_response(request, session_id, library, rules, uow, settings, camera=False)


def player_response(
    request: Request,
    session_id: str,
    library: Library,
    rules: RuleSet,
    uow: AbstractUnitOfWork,
    settings: Settings,
    *,
    camera: bool,
) -> Response:
    """The player page; with ``camera``, repetitions are counted by the live coach."""
    view = session_view(uow, session_id)
    if view.status == "in_progress":
        verdict = current_verdict(uow, rules, datetime.now(UTC))
        if verdict.blocks_sessions:  # no carrying on with a session either
            target = "/safety/emergency" if verdict.emergency else "/safety/why"
            return RedirectResponse(target, status_code=303)
    stored = _program_of(uow, view)
    exercises = {g: library.exercise(g) for g in view.glides}
    texts = {s.id: s.text for e in exercises.values() for s in e.steps}
    advice = [r for r in library.safety.rules if r.id in ADVICE_RULES]
    data = {
        "session": view.as_dict(),
        "timeline": _timeline_json(library, stored, view, remaining=True),
        "names": {g: e.name for g, e in exercises.items()},
        "step_texts": texts,
        "clock_speed": settings.clock_speed,
        "camera": camera_settings(settings) if camera else None,
        "plan": [
            {"exercise_id": g.exercise_id, "leg": leg, "total": g.sets * g.reps}
            for g in stored.program.glides
            if g.exercise_id in view.glides
            for leg in g.legs
        ],
    }
    return templates.TemplateResponse(
        request,
        "player.html",
        {
            "library": library,
            "page": "coach" if camera else "session",
            "view": view,
            "camera": camera,
            "exercises": exercises,
            "svgs": {g: Markup(views.demo_svg(g)) for g in exercises},
            "advice": advice,
            # Inside <script type="application/json">: only "</" could end it early.
            "data_json": Markup(json.dumps(data).replace("</", "<\\/")),
        },
    )


@router.get("/sessions", response_class=HTMLResponse)
def history_page(request: Request, library: LibraryDep, uow: UoWDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "history.html",
        {"library": library, "page": "history", "sessions": history(uow)},
    )


# --- JSON API ----------------------------------------------------------------------------


@router.post("/api/sessions", status_code=201, response_model=SessionStartedOut)
def api_start(body: SessionIn, library: LibraryDep, rules: RulesDep, uow: UoWDep) -> dict[str, Any]:
    stored = current_program(uow)
    if stored is None:
        raise InvalidInput("program: make your program first (PUT /api/program)")
    view = start_session(
        uow,
        rules=rules,
        source="api",
        program=stored,
        pain_before=PainCheck(**body.pain_before.model_dump()),
        now=datetime.now(UTC),
        glides=body.glides,
    )
    uow.commit()
    return {**view.as_dict(), "timeline": _timeline_json(library, stored, view, False)}


@router.get("/api/sessions/{session_id}", response_model=SessionOut)
def api_session(session_id: str, uow: UoWDep) -> dict[str, Any]:
    return session_view(uow, session_id).as_dict()


@router.get("/api/sessions/{session_id}/timeline", response_model=list[StepOut])
def api_timeline(
    session_id: str, library: LibraryDep, uow: UoWDep, remaining: bool = False
) -> list[dict[str, object]]:
    view = session_view(uow, session_id)
    return _timeline_json(library, _program_of(uow, view), view, remaining)


@router.put(
    "/api/sessions/{session_id}/repetitions",
    response_model=RepetitionSavedOut,
    responses={201: {"model": RepetitionSavedOut, "description": "A new repetition was saved."}},
)
def api_repetition(
    session_id: str, body: RepetitionIn, uow: UoWDep, request: Request, response: Response
) -> dict[str, Any]:
    # A repetition is no fact the safety rules read (screening answers, ended sessions,
    # the diary, clearances): the most frequent write skips re-evaluating them.
    changes_no_safety_fact(request)
    created = record_repetition(
        uow,
        session_id,
        None,  # the session's own, read once its row is locked (one read of the session)
        RepRecord(
            body.exercise_id,
            body.leg,
            body.set_no,
            body.rep_no,
            body.attempt,
            body.started_at,
            body.ended_at,
            body.hold_s,
        ),
        datetime.now(UTC),
    )
    uow.commit()
    response.status_code = 201 if created else 200
    return {"saved": True, "new": created}


@router.post("/api/sessions/{session_id}/stop", response_model=SessionOut)
def api_stop(session_id: str, body: StopIn, uow: UoWDep) -> dict[str, Any]:
    session_view(uow, session_id)  # 404 before anything else
    try:
        event = StopReported(
            session_id=session_id,
            occurred_at=body.occurred_at,
            pain=body.pain,
            areas=tuple(PainArea(a.area, a.side) for a in body.areas),
            exercise_id=body.exercise_id,
            leg=body.leg,
            set_no=body.set_no,
            rep_no=body.rep_no,
            step_kind=body.step_kind,
            note=body.note,
        )
    except EventError as exc:
        raise InvalidInput(f"{exc.field}: {exc}") from None
    view = record_stop(uow, event, datetime.now(UTC))
    uow.commit()
    return view.as_dict()


@router.post("/api/sessions/{session_id}/finish", response_model=SessionOut)
def api_finish(session_id: str, body: FinishIn, uow: UoWDep) -> dict[str, Any]:
    view = finish_session(
        uow,
        session_id,
        status=body.status,
        now=datetime.now(UTC),
        pain_after=PainCheck(**body.pain_after.model_dump()) if body.pain_after else None,
        felt_worse=body.felt_worse,
        spread=body.spread,
        felt_worse_note=body.felt_worse_note,
    )
    uow.commit()
    return view.as_dict()
