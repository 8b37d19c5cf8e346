"""The live coach of a session: who may stream landmarks into it, and what happens to them.

The page that coaches a session with the camera first starts its live coach
(:func:`start_live`), which hands it a random secret (only its SHA-256 is stored). Every
WebSocket connection then passes :func:`authorize_live`, the one place that decides
whether a connection may coach a session: someone is logged in (the session cookie of the
WebSocket handshake), the session is that patient's own, it exists and is still in
progress, and the secret is the one given. Its units of work are scoped to that patient
(:func:`nerveglide.services.access.patient_uow`), so another patient's session is not
even found.

A :class:`LiveRun` is one connection: it feeds each landmark frame to the motion
package's :class:`~nerveglide.motion.live.LiveCoach` (the offline pipeline run causally),
numbers the events it returns, and at each counted repetition saves, in one transaction,
the repetition (as the next one of the plan for that glide and leg, with its measured
range and hold) and the coach's state as of that repetition. The save is handed back to
the caller (:class:`RepSave`) to run off the event loop while the frames go on; the
repetition's event is numbered and sent once it is saved. A reconnect builds the coach
again from the saved state: repetitions already counted are neither lost nor counted
again.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from nerveglide.content.schema import Library
from nerveglide.domain.accounts import Actor
from nerveglide.domain.pacing import RepKey
from nerveglide.domain.program import Leg, Program
from nerveglide.errors import (
    DatabaseError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotPermitted,
)
from nerveglide.motion.live import LiveCoach
from nerveglide.motion.pose import N_LANDMARKS, Pose
from nerveglide.motion.spec import GlideSpec
from nerveglide.services import audit
from nerveglide.services.programs import program_by_id
from nerveglide.services.sessions import (
    RepRecord,
    SessionView,
    record_repetition,
    session_timeline,
    session_view,
)
from nerveglide.services.uow import AbstractUnitOfWork
from nerveglide.store.db import SessionFactory, database_errors
from nerveglide.store.models.live import LiveCoachRow

__all__ = [
    "PROTOCOL_VERSION",
    "LiveGrant",
    "LiveRun",
    "RepSave",
    "authorize_live",
    "pose_from_frame",
    "record_refused",
    "start_live",
]

#: The version of the landmark and event messages (docs/live-coach-protocol.md).
PROTOCOL_VERSION = 1

#: A save the database refuses for a moment (a lock) is tried this many times in all,
#: waiting this long times the attempt number in between.
SAVE_ATTEMPTS = 5
SAVE_RETRY_S = 0.05

#: A frame's time may go backwards after the page reloads (its clock starts again): the
#: stream then carries on this long after the last frame the server saw.
RESUME_GAP_S = 1.0 / 30.0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_live(uow: AbstractUnitOfWork, session_id: str, now: datetime) -> str:
    """Start (or restart) the live coach of an in-progress session; returns its new
    secret. A new secret replaces the old one: a page that lost it asks for another."""
    view = session_view(uow, session_id)
    if view.status != "in_progress":
        raise NotPermitted("This session has ended: start a new session to use the camera.")
    token = secrets.token_urlsafe(32)
    row = uow.live.coach(session_id, for_update=True)
    if row is None:
        uow.live.add(
            LiveCoachRow(
                session_id=session_id,
                token_hash=_hash(token),
                created_at=now,
                updated_at=now,
                last_seq=0,
                frames=0,
            )
        )
    else:
        row.token_hash = _hash(token)
        row.updated_at = now
    uow.flush()
    return token


@dataclass(frozen=True)
class LiveGrant:
    """What :func:`authorize_live` lets a connection have: its session and where the live
    coach stood when it was last saved."""

    session: SessionView
    last_seq: int
    state: dict[str, Any]


def authorize_live(
    uow: AbstractUnitOfWork, actor: Actor | None, session_id: str, token: str
) -> LiveGrant:
    """May ``actor`` (the login of the connection, None for nobody) coach ``session_id``?
    The one check for every live connection.

    Raises :class:`~nerveglide.errors.NotAuthenticated` when nobody is logged in,
    :class:`~nerveglide.errors.NotFound` for a session that is not the logged-in
    patient's own, an unknown one, or one whose live coach was never started (``uow``
    must be scoped to that patient), :class:`~nerveglide.errors.NotPermitted` for an
    ended session or a wrong secret."""
    if actor is None or actor.account_id is None:
        raise NotAuthenticated("Log in again to use the camera coach.")
    owner = actor.account_id if actor.role == "patient" else None
    row = uow.sessions.get(session_id) if owner is not None and uow.patient_id == owner else None
    live = uow.live.coach(session_id) if row is not None else None
    if row is None or live is None or row.patient_id != owner or live.patient_id != owner:
        raise NotFound("There is no live coach for this session: start it from its page.")
    # Compare before anything else is said about the session: a wrong secret learns nothing.
    if not hmac.compare_digest(live.token_hash, _hash(token)):
        raise NotPermitted("This page's key for the session is not valid: reload the page.")
    view = session_view(uow, session_id)
    if view.status != "in_progress":
        raise NotPermitted("This session has ended: start a new session to use the camera.")
    return LiveGrant(session=view, last_seq=live.last_seq, state=dict(live.state or {}))


def record_refused(
    session_factory: SessionFactory,
    actor: Actor | None,
    session_id: str | None,
    reason: str,
    *,
    address: str | None,
) -> None:
    """A refused live connection goes to the audit log as a denied access: who (None when
    nobody was logged in), which session it asked for, from where, and why."""
    audit.record(
        session_factory, actor, "connect", "live_coach", session_id, outcome="denied",
        address=address, detail={"reason": reason},
    )  # fmt: skip


def pose_from_frame(
    t: float,
    width: int,
    height: int,
    landmarks: Sequence[Sequence[float]] | None,
    world: Sequence[Sequence[float]] | None,
) -> Pose | None:
    """A frame as the page sends it (normalised ``[x, y, z, visibility]`` per landmark,
    world ``[x, y, z]`` in metres) as a :class:`~nerveglide.motion.pose.Pose`;
    ``None`` when the page found nobody."""
    if landmarks is None:
        return None
    points = _points(landmarks, 4)
    if points.shape != (N_LANDMARKS, 4):
        raise InvalidInput(f"lm: must be {N_LANDMARKS} points of [x, y, z, visibility]")
    xy = points[:, :2] * np.array([width, height], dtype=np.float64)
    metres = None if world is None else _points(world, 3)
    visibility = points[:, 3].copy()
    return Pose(t=t, xy=xy, visibility=visibility, world=metres, width=width, height=height)


def _points(rows: Sequence[Sequence[float]], size: int) -> npt.NDArray[np.float64]:
    """``np.asarray(rows, dtype=np.float64)``; a validated message's 33 points of ``size``
    numbers are read in one pass, without numpy's search of the nesting."""
    if len(rows) == N_LANDMARKS and set(map(len, rows)) == {size}:
        flat = np.fromiter(chain.from_iterable(rows), np.float64, N_LANDMARKS * size)
        return flat.reshape(N_LANDMARKS, size)
    return np.asarray(rows, dtype=np.float64)


def _key(exercise_id: str, leg: str) -> str:
    return f"{exercise_id}|{leg}"


@dataclass(frozen=True)
class StoredState:
    """What a live coach's row keeps about its connection, as of ``at``: the coaches'
    states (counts per leg, calibration, the time of the last counted end), the last
    sequence number given, what is coached, and the frames taken since the last write."""

    at: datetime
    state: dict[str, Any]
    last_seq: int
    coached: tuple[str, Leg] | None
    frames: int


@dataclass(frozen=True)
class RepSave:
    """A counted repetition to save, in its place in the plan, with the coach's state as
    of its counting; ``event`` is sent once it is saved."""

    key: RepKey
    record: RepRecord
    event: dict[str, Any]
    state: StoredState


class LiveRun:
    """One connection's live coaching of a session (see the module docstring).

    ``uow_factory`` makes a fresh unit of work, scoped to ``actor``'s own data, for each
    database step (the run lives as long as the connection). Methods return the events
    to send, each a JSON-ready dict with ``v`` and a sequence number ``seq``."""

    def __init__(
        self,
        uow_factory: Callable[[], AbstractUnitOfWork],
        library: Library,
        session_id: str,
        actor: Actor | None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow_factory = uow_factory
        self._actor = actor
        self._library = library
        self.session_id = session_id
        self._clock = clock
        self.seq = 0
        self.frames = 0
        self._state: dict[str, Any] = {}
        self._program: Program | None = None
        self._view: SessionView | None = None
        self._coach: LiveCoach | None = None
        self._coached: tuple[str, Leg] | None = None
        self._offset = 0.0
        self._last_t: float | None = None
        self._resume_after = -math.inf
        self._saving: set[RepKey] = set()
        """Repetitions placed in the plan whose save has not finished yet."""

    # -- opening ---------------------------------------------------------------------------

    def open(self, token: str, seen_seq: int = 0) -> list[dict[str, Any]]:
        """Authorize (raises as :func:`authorize_live`) and say where the session stands.
        ``seen_seq`` is the last sequence number the page saw: numbering goes on after
        it even if the server stopped before it could store its own."""
        with self._uow_factory() as uow:
            grant = authorize_live(uow, self._actor, self.session_id, token)
            stored = program_by_id(uow, grant.session.program_id)
            if stored is None:  # pragma: no cover - a foreign key keeps it
                raise NotFound("The program of this session is gone.")
        self._program = stored.program
        self._view = grant.session
        self.seq = max(grant.last_seq, seen_seq)
        self._state = grant.state
        # Times go on from where the last connection left them (the page may have reloaded).
        self._resume_after = float(self._state.get("clock_t", -math.inf))
        return [self._event({"type": "ready", **self._standing()})]

    def _standing(self) -> dict[str, Any]:
        view = self._require_view()
        return {
            "session": view.id,
            "protocol": PROTOCOL_VERSION,
            "repetitions": [
                {
                    "exercise_id": r.exercise_id,
                    "leg": r.leg,
                    "set_no": r.set_no,
                    "rep_no": r.rep_no,
                    "counted_by": r.counted_by,
                }
                for r in view.repetitions
            ],
            "counts": [
                {"exercise_id": g, "leg": leg, "reps": n}
                for (g, leg), n in sorted(view.counts().items())
            ],
        }

    def _require_view(self) -> SessionView:
        if self._view is None:
            raise RuntimeError("open() the run first")
        return self._view

    # -- what is coached -------------------------------------------------------------------

    def coach(self, exercise_id: str, leg: Leg) -> list[dict[str, Any]]:
        """Coach this glide and leg from now on (the player's current step)."""
        view = self._require_view()
        program = cast(Program, self._program)
        dose = program.glide(exercise_id)
        if dose is None or exercise_id not in view.glides:
            raise InvalidInput(f"exercise_id: {exercise_id!r} is not part of this session")
        if leg not in dose.legs:
            raise InvalidInput(f"leg: this session does not exercise the {leg} leg")
        if self._coached == (exercise_id, leg):
            return []
        self._keep_snapshot()
        saved = self._state.get("coaches", {}).get(_key(exercise_id, leg), {})
        self._coach = LiveCoach(
            spec=GlideSpec.of(
                self._library.exercise(exercise_id), pace_s=dose.pace_s, hold_s=dose.hold_s
            ),
            leg=leg,
            counted=saved.get("counted"),
            calibration=saved.get("calibration"),
            resume_after_s=saved.get("resume_after_s"),
        )
        self._coached = (exercise_id, leg)
        return [self._event({"type": "coaching", "exercise_id": exercise_id, "leg": leg})]

    def _keep_snapshot(self) -> None:
        if self._coach is not None and self._coached is not None:
            coaches = dict(self._state.get("coaches", {}))
            coaches[_key(*self._coached)] = self._coach.snapshot()
            self._state["coaches"] = coaches
        if self._last_t is not None:
            self._state["clock_t"] = self._last_t

    # -- frames ----------------------------------------------------------------------------

    def take_frame(
        self,
        t: float,
        width: int,
        height: int,
        landmarks: Sequence[Sequence[float]] | None,
        world: Sequence[Sequence[float]] | None,
    ) -> list[dict[str, Any]]:
        """Feed one landmark frame to the coach: computing only, no database. Returns the
        events it caused, not yet numbered; :meth:`publish` numbers them."""
        if self._coach is None:
            raise InvalidInput("step: say which glide and leg to coach before sending frames")
        if self._last_t is None and t + self._offset <= self._resume_after:
            # The page's clock started again (a reload): carry on after the last frame.
            self._offset = self._resume_after + RESUME_GAP_S - t
        now = t + self._offset
        if self._last_t is not None and now <= self._last_t:
            before = self._last_t - self._offset
            raise InvalidInput(
                f"t: frame times must increase ({t:.3f} s came after {before:.3f} s)"
            )
        pose = pose_from_frame(now, width, height, landmarks, world)
        raw = self._coach.feed(pose, now)
        self._last_t = now
        self.frames += 1
        return [e.to_dict() for e in raw]

    def publish(
        self, events: Sequence[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[RepSave]]:
        """Number the events of :meth:`take_frame` that can be sent at once. A complete
        repetition is not among them: it comes back as a :class:`RepSave`, to be saved
        (:meth:`save`, off the event loop) before its event is numbered and sent
        (:meth:`saved`). Computing only, no database."""
        out: list[dict[str, Any]] = []
        saves: list[RepSave] = []
        for event in events:
            if event.get("type") == "rep":
                placed = self._place_rep(event)
                if isinstance(placed, RepSave):
                    saves.append(placed)
                    continue
                event = placed
            out.append(self._event(event))
        return out, saves

    def _next_rep(self, exercise_id: str, leg: str) -> RepKey | None:
        view = self._require_view()
        program = cast(Program, self._program)
        done = view.done() | self._saving
        for step in session_timeline(self._library, program, view):
            if step.exercise_id != exercise_id or step.leg != leg or not step.in_rep:
                continue
            key = RepKey(step.exercise_id, step.leg, step.set_no, step.rep_no)
            if key not in done:
                return key
        return None

    def _place_rep(self, event: dict[str, Any]) -> dict[str, Any] | RepSave:
        """A counted repetition's place: the next one of the plan for its glide and leg,
        to be saved; a partial one, or one beyond the plan, is an event not saved."""
        exercise_id, leg = cast(tuple[str, Leg], self._coached)
        event = {**event, "exercise_id": exercise_id, "saved": False}
        if not event.get("complete"):
            return event
        key = self._next_rep(exercise_id, leg)
        if key is None:
            return {**event, "beyond_plan": True}
        now = self._clock()
        start_s = float(event.get("start_s") or 0.0)
        end_s = float(event.get("end_s") or start_s)
        ended_at = now - timedelta(seconds=max(0.0, (self._last_t or end_s) - end_s))
        started_at = ended_at - timedelta(seconds=max(0.0, end_s - start_s))
        rom = event.get("rom_deg")
        hold = event.get("hold_s")
        measures = {
            k: event.get(k)
            for k in (
                "peak_deg",
                "knee_extension_peak_deg",
                "hip_flexion_peak_deg",
                "peak_speed_deg_s",
                "progress",
                "joint",
                "cues",
            )
        }
        record = RepRecord(
            exercise_id=exercise_id,
            leg=leg,
            set_no=key.set_no,
            rep_no=key.rep_no,
            attempt=1,
            started_at=started_at,
            ended_at=ended_at,
            hold_s=None if hold is None else round(float(hold), 3),
            counted_by="camera",
            range_deg=None if rom is None else round(float(rom), 1),
            measures=measures,
        )
        self._saving.add(key)
        # The coach's state as of this repetition goes in the same transaction, taken
        # now: the coach goes on with the next frames while the save runs.
        return RepSave(
            key=key,
            record=record,
            event={**event, "saved": True, "set_no": key.set_no, "rep_no": key.rep_no},
            state=self._stored_state(now, extra_seq=1),
        )

    def save(self, job: RepSave) -> None:
        """Save a counted repetition and the coach's state with it (database work: run
        it off the event loop). Saving the same repetition again changes nothing."""
        program = cast(Program, self._program)
        views: list[SessionView] = []

        def work(uow: AbstractUnitOfWork) -> None:
            record_repetition(uow, self.session_id, program, job.record, job.state.at)
            views.append(session_view(uow, self.session_id))
            self._write_state(uow, job.state)

        self._transaction(work)
        self._view = views[-1]

    def saved(self, job: RepSave) -> list[dict[str, Any]]:
        """The event of a repetition :meth:`save` has saved, numbered."""
        self._saving.discard(job.key)
        return [self._event(job.event)]

    def _transaction(self, work: Callable[[AbstractUnitOfWork], None]) -> None:
        """Run ``work`` in a unit of work and commit, trying again when the database
        refuses for a moment (SQLite: another session's write got in first). Saving the
        same repetition again changes nothing, so a retry can't double it."""
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                with database_errors(), self._uow_factory() as uow:
                    uow.live.claim(self.session_id, self._clock())
                    work(uow)
                    uow.commit()
                return
            except DatabaseError:
                if attempt == SAVE_ATTEMPTS:
                    raise
                time.sleep(SAVE_RETRY_S * attempt)

    def _stored_state(self, now: datetime, extra_seq: int = 0) -> StoredState:
        """What the coach's row keeps, as of now (see :class:`StoredState`)."""
        self._keep_snapshot()
        frames, self.frames = self.frames, 0
        return StoredState(
            at=now,
            state=dict(self._state),
            last_seq=self.seq + extra_seq,
            coached=self._coached,
            frames=frames,
        )

    def _write_state(self, uow: AbstractUnitOfWork, stored: StoredState) -> None:
        row = uow.live.coach(self.session_id, for_update=True)
        if row is None:  # pragma: no cover - authorize_live found it
            raise NotFound("The live coach of this session is gone.")
        row.state = stored.state
        row.last_seq = max(row.last_seq, stored.last_seq)
        row.exercise_id = stored.coached[0] if stored.coached else None
        row.leg = stored.coached[1] if stored.coached else None
        row.frames = row.frames + stored.frames
        row.updated_at = stored.at
        uow.flush()

    def close(self) -> None:
        """Keep the coach's state and the sequence number when the connection ends (after
        the repetitions being saved are saved)."""
        if self._view is not None:
            stored = self._stored_state(self._clock())
            self._transaction(lambda uow: self._write_state(uow, stored))

    # -- events ----------------------------------------------------------------------------

    def _event(self, body: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        return {"v": PROTOCOL_VERSION, "seq": self.seq, **body}

    def pong(self) -> dict[str, Any]:
        return self._event({"type": "pong"})

    def error(self, code: str, message: str) -> dict[str, Any]:
        """An error event (the connection goes on)."""
        return self._event({"type": "error", "code": code, "message": message})
