"""The live coach: ``/coach`` (a session with the camera), the ``/ws/coach`` WebSocket
(landmark frames in, coaching events out; docs/live-coach-protocol.md), the live coach's
secret, and the videos a person chose to keep. All of it is the logged-in patient's own:
the HTTP routes take the patient's unit of work (``UoWDep``), the WebSocket resolves the
login of its handshake and opens that patient's units of work (``authorize_live``
decides)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from nerveglide.domain.accounts import Actor
from nerveglide.errors import InvalidInput, NotAuthenticated, NotFound, NotPermitted
from nerveglide.services.access import patient_uow
from nerveglide.services.live import (
    PROTOCOL_VERSION,
    LiveRun,
    RepSave,
    record_refused,
    start_live,
)
from nerveglide.services.recordings import (
    CONTENT_TYPES as RECORDING_TYPES,
)
from nerveglide.services.recordings import (
    delete_recording,
    list_recordings,
    recording_file,
    recordings_dir,
    save_recording,
)
from nerveglide.services.uow import SqlAlchemyUnitOfWork
from nerveglide.store.db import SessionFactory
from nerveglide.web.auth import client_address, connection_actor
from nerveglide.web.deps import LibraryDep, PatientIdDep, RulesDep, SettingsDep, UoWDep
from nerveglide.web.live_messages import (
    MAX_FRAMES_PER_S,
    MAX_MESSAGE_BYTES,
    FrameIn,
    HelloIn,
    PingIn,
    StepIn,
    parse_message,
)
from nerveglide.web.responses import ErrorOut, LiveStartOut, RecordingOut
from nerveglide.web.routers.sessions import player_response, start_page
from nerveglide.web.schemas import RowId

router = APIRouter()
log = logging.getLogger(__name__)

#: The page has this long after connecting to say hello.
HELLO_TIMEOUT_S = 10.0
#: Close codes (4000-4999 are the application's own).
CLOSE_BAD_HELLO = 4400
CLOSE_NOT_LOGGED_IN = 4401
CLOSE_REFUSED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 1011
#: At most one "too fast" error a second, however fast the frames come.
RATE_ERROR_EVERY_S = 1.0

# The pose runtime compiles WebAssembly: only the camera page may (CSP 'wasm-unsafe-eval').
COACH_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; media-src 'self' blob:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@router.get("/coach", response_class=HTMLResponse)
def coach_start_page(
    request: Request, library: LibraryDep, rules: RulesDep, uow: UoWDep
) -> Response:
    return start_page(request, library, rules, uow, camera=True)


@router.get("/coach/{session_id}", response_class=HTMLResponse)
def coach_page(
    request: Request,
    session_id: str,
    library: LibraryDep,
    rules: RulesDep,
    uow: UoWDep,
    settings: SettingsDep,
) -> Response:
    response = player_response(request, session_id, library, rules, uow, settings, camera=True)
    response.headers["Content-Security-Policy"] = COACH_CSP
    return response


@router.post("/api/sessions/{session_id}/live", response_model=LiveStartOut)
def api_start_live(session_id: str, uow: UoWDep) -> dict[str, Any]:
    """Start the session's live coach: the secret the page's WebSocket says hello with."""
    token = start_live(uow, session_id, datetime.now(UTC))
    uow.commit()
    return {
        "session": session_id,
        "token": token,
        "protocol": PROTOCOL_VERSION,
        "websocket": "/ws/coach",
        "max_message_bytes": MAX_MESSAGE_BYTES,
        "max_frames_per_s": MAX_FRAMES_PER_S,
    }


# --- the WebSocket -------------------------------------------------------------------------


class FrameBudget:
    """A token bucket: ``rate`` frames a second on average, bursts of ``rate`` more; and
    when to say that frames are being dropped (at most every ``warn_every_s``)."""

    def __init__(
        self, rate: float, clock: Any = time.monotonic, warn_every_s: float = RATE_ERROR_EVERY_S
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = rate
        self._at = clock()
        self._warn_every_s = warn_every_s
        self._warned_at = -math.inf

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def warn_now(self) -> bool:
        """Whether to say that frames are dropped now (not more often than set)."""
        now = self._clock()
        if now - self._warned_at < self._warn_every_s:
            return False
        self._warned_at = now
        return True


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return not origin or urlsplit(origin).netloc == websocket.headers.get("host", "")


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where or 'message'}: {error.get('msg', 'invalid')}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _utf8_size(text: str) -> int:
    """The message's size in UTF-8 bytes (ASCII text, as the page sends, is one a
    character: no need to encode it)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _json(event: dict[str, Any]) -> str:
    try:
        return json.dumps(event, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(event), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def _send(websocket: WebSocket, events: list[dict[str, Any]]) -> None:
    for event in events:
        await websocket.send_text(_json(event))


def _error(code: str, message: str) -> dict[str, Any]:
    """An error before a run has sequence numbers (the hello was not accepted)."""
    return {"v": PROTOCOL_VERSION, "seq": 0, "type": "error", "code": code, "message": message}


def _units(session_factory: SessionFactory, actor: Actor | None) -> SqlAlchemyUnitOfWork:
    """The connection's unit of work: scoped to the logged-in patient's own data. Anyone
    else gets one that sees no clinical row (authorize_live refuses them first)."""
    if actor is None or actor.role != "patient" or actor.account_id is None:
        return SqlAlchemyUnitOfWork(session_factory)
    return patient_uow(session_factory, actor, actor.account_id, what="live coach")


def _close_code(exc: NotAuthenticated | NotFound | NotPermitted) -> int:
    if isinstance(exc, NotAuthenticated):
        return CLOSE_NOT_LOGGED_IN
    return CLOSE_NOT_FOUND if isinstance(exc, NotFound) else CLOSE_REFUSED


@router.websocket("/ws/coach")
async def coach_socket(websocket: WebSocket) -> None:
    app = websocket.app
    factory = app.state.session_factory
    address = client_address(websocket)
    # Who is connecting: the login session of the handshake's cookie (checked in
    # authorize_live, with the session id, once the hello says which session).
    actor = await run_in_threadpool(connection_actor, websocket)
    if not _same_origin(websocket):
        await run_in_threadpool(
            record_refused, factory, actor, None, "a page on another site", address=address
        )
        await websocket.close(code=CLOSE_REFUSED)
        return
    await websocket.accept()
    run: LiveRun | None = None
    outbox: _Outbox | None = None
    try:
        hello = await _hello(websocket)
        if hello is None:
            return
        run = LiveRun(lambda: _units(factory, actor), app.state.library, hello.session, actor)
        try:
            events = await run_in_threadpool(run.open, hello.token, hello.last_seq)
            if hello.exercise_id and hello.leg:
                events += await run_in_threadpool(run.coach, hello.exercise_id, hello.leg)
        except (NotAuthenticated, NotFound, NotPermitted) as exc:
            run = None
            await run_in_threadpool(
                record_refused, factory, actor, hello.session, exc.message, address=address
            )
            await _send(websocket, [_error("refused", exc.message)])
            await websocket.close(code=_close_code(exc), reason=exc.message[:120])
            return
        except InvalidInput as exc:
            events = [run.error("invalid", exc.message)]
        await _send(websocket, events)
        outbox = _Outbox(websocket, run)
        await _serve(websocket, run, outbox)
    except WebSocketDisconnect:
        pass
    except Exception:
        # Never let it reach the HTTP error pages: close, and the page reconnects and
        # takes the saved repetitions as the truth.
        log.exception("live coach of session %s failed", run.session_id if run else "?")
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.close(code=CLOSE_SERVER_ERROR)
    finally:
        if outbox is not None:
            await outbox.drain()
        if run is not None:
            try:
                await run_in_threadpool(run.close)
            except Exception:
                log.exception("could not keep the live coach state of session %s", run.session_id)


async def _hello(websocket: WebSocket) -> HelloIn | None:
    """The first message must be a valid hello, within :data:`HELLO_TIMEOUT_S`."""
    try:
        message = await asyncio.wait_for(websocket.receive(), HELLO_TIMEOUT_S)
    except TimeoutError:
        await _send(websocket, [_error("hello", "say hello first: no hello came in time")])
        await websocket.close(code=CLOSE_BAD_HELLO)
        return None
    if message.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    problem = None
    hello = None
    if text is None:
        problem = "the first message must be a hello in JSON text, not binary data"
    elif _utf8_size(text) > MAX_MESSAGE_BYTES:
        problem = f"the message is larger than {MAX_MESSAGE_BYTES} bytes"
    else:
        try:
            parsed = parse_message(text)
        except ValidationError as exc:
            problem = _describe(exc)
        else:
            if isinstance(parsed, HelloIn):
                hello = parsed
            else:
                problem = f"the first message must be a hello, not a {parsed.type}"
    if hello is None:
        await _send(websocket, [_error("hello", problem or "say hello first")])
        await websocket.close(code=CLOSE_BAD_HELLO)
    return hello


class _Outbox:
    """One connection's outgoing side. Whoever sends takes ``turn`` and numbers its
    events inside it, so events go out in sequence order. A counted repetition is saved
    in the background, one after another, while the connection goes on taking frames;
    its event is numbered and sent once it is saved (never before)."""

    def __init__(self, websocket: WebSocket, run: LiveRun) -> None:
        self._websocket = websocket
        self._run = run
        self.turn = asyncio.Lock()
        self._saving: asyncio.Task[None] | None = None

    def save(self, jobs: list[RepSave]) -> None:
        """Save these repetitions after the ones already being saved, then send their
        events."""
        self._saving = asyncio.create_task(self._save_after(self._saving, jobs))

    async def _save_after(self, before: asyncio.Task[None] | None, jobs: list[RepSave]) -> None:
        if before is not None:
            await before
        for job in jobs:
            try:
                await run_in_threadpool(self._run.save, job)
            except Exception:
                # Close: the page reconnects and takes the saved repetitions as the truth.
                log.exception("could not save a repetition of session %s", self._run.session_id)
                if self._websocket.application_state == WebSocketState.CONNECTED:
                    with suppress(Exception):
                        await self._websocket.close(code=CLOSE_SERVER_ERROR)
                raise
            async with self.turn:
                try:
                    await _send(self._websocket, self._run.saved(job))
                except Exception:  # the connection is gone: the repetition is saved anyway
                    if self._websocket.application_state == WebSocketState.CONNECTED:
                        raise

    async def drain(self) -> None:
        """Wait for the repetitions being saved (whatever came of it)."""
        if self._saving is not None:
            with suppress(Exception):
                await self._saving


async def _serve(websocket: WebSocket, run: LiveRun, outbox: _Outbox) -> None:
    budget = FrameBudget(MAX_FRAMES_PER_S)
    while websocket.application_state == WebSocketState.CONNECTED:
        message = await websocket.receive()
        if message.get("type") == "websocket.disconnect":
            return
        async with outbox.turn:
            await _send(websocket, await _answer(message, run, outbox, budget))


async def _answer(
    message: Any, run: LiveRun, outbox: _Outbox, budget: FrameBudget
) -> list[dict[str, Any]]:
    """The events answering one message (numbered: call it in the outbox's turn)."""
    text = message.get("text")
    if text is None:
        return [run.error("binary", "send JSON text: binary data is refused")]
    if _utf8_size(text) > MAX_MESSAGE_BYTES:
        return [run.error("too_large", f"the message is larger than {MAX_MESSAGE_BYTES} bytes")]
    try:
        parsed = parse_message(text)
    except ValidationError as exc:
        return [run.error("invalid", _describe(exc))]
    try:
        if isinstance(parsed, FrameIn):
            if not budget.take():
                return [_too_fast(run)] if budget.warn_now() else []
            # The coach computes in the event loop (well under a millisecond a frame); a
            # counted repetition is saved in a worker thread meanwhile.
            events, saves = run.publish(
                run.take_frame(parsed.t, parsed.w, parsed.h, parsed.lm, parsed.world)
            )
            if saves:
                outbox.save(saves)
            return events
        if isinstance(parsed, StepIn):
            return await run_in_threadpool(run.coach, parsed.exercise_id, parsed.leg)
        if isinstance(parsed, PingIn):
            return [run.pong()]
        return [run.error("invalid", "hello was already said on this connection")]
    except InvalidInput as exc:
        return [run.error("invalid", exc.message)]


def _too_fast(run: LiveRun) -> dict[str, Any]:
    return run.error(
        "too_fast", f"more than {MAX_FRAMES_PER_S:g} frames a second: frames are being dropped"
    )


# --- kept videos -------------------------------------------------------------------------------


@router.post(
    "/api/sessions/{session_id}/recordings",
    status_code=201,
    response_model=RecordingOut,
    responses={413: {"model": ErrorOut, "description": "The video is larger than allowed."}},
)
async def api_save_recording(
    session_id: str,
    request: Request,
    uow: UoWDep,
    patient_id: PatientIdDep,
    settings: SettingsDep,
) -> dict[str, object]:
    view = await save_recording(
        uow,
        directory=recordings_dir(settings.data_dir, patient_id),
        session_id=session_id,
        content_type=request.headers.get("content-type"),
        chunks=request.stream(),
        max_bytes=settings.recording_max_mb * 1024 * 1024,
        now=datetime.now(UTC),
    )
    uow.commit()
    return view.as_dict()


@router.get("/api/sessions/{session_id}/recordings", response_model=list[RecordingOut])
def api_recordings(session_id: str, uow: UoWDep) -> list[dict[str, object]]:
    return [r.as_dict() for r in list_recordings(uow, session_id)]


@router.get(
    "/api/sessions/{session_id}/recordings/{recording_id}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The video as it was kept.",
            "content": {media: {} for media in RECORDING_TYPES},
        }
    },
)
def api_recording(
    session_id: str,
    recording_id: RowId,
    uow: UoWDep,
    patient_id: PatientIdDep,
    settings: SettingsDep,
) -> FileResponse:
    directory = recordings_dir(settings.data_dir, patient_id)
    path, content_type = recording_file(uow, directory, session_id, recording_id)
    return FileResponse(path, media_type=content_type)


@router.delete("/api/sessions/{session_id}/recordings/{recording_id}", status_code=204)
def api_delete_recording(
    session_id: str,
    recording_id: RowId,
    uow: UoWDep,
    patient_id: PatientIdDep,
    settings: SettingsDep,
) -> Response:
    directory = recordings_dir(settings.data_dir, patient_id)
    path = delete_recording(uow, directory, session_id, recording_id)
    uow.commit()
    path.unlink(missing_ok=True)
    return Response(status_code=204)
