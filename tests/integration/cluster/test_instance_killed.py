"""An app instance killed with SIGKILL in the middle of a session, behind nginx:

- a player session: the repetition whose request the instance was serving (held at its
  session's row in PostgreSQL, so the kill falls inside it) is passed by nginx to the
  other instance, and the session goes on there; every repetition acknowledged is saved
  once, none is missing;
- a live-coach session: the WebSocket through nginx breaks, the client reconnects (with
  the page's backoff) to the other instance, which goes on from the state saved at the
  last counted repetition; the clip's repetitions are each counted and saved once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from nerveglide.motion.analysis import Landmarks
from tests.cluster import Cluster
from tests.integration.cluster.conftest import Answer, Api, repetition, waiting_for_a_lock
from tests.integration.live.conftest import clip_landmarks, frame_message, labels  # noqa: F401
from tests.integration.motion.conftest import landmarks_of  # noqa: F401

#: Every third frame of the 30 fps clip (10 a second, as a slow phone sends them).
EVERY = 3
#: The page's reconnection backoff (coach.js): 0.5 s, doubling up to 5 s.
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0, 5.0)


def _upstreams(cluster: Cluster, request_id: str) -> list[str]:
    line = cluster.log_line_for("nginx-access", request_id)
    return [part.strip() for part in str(line["upstream"]).split(",")]


def test_a_player_session_goes_on_through_the_other_instance(
    healthy: Cluster, patients: Callable[[], Api]
):
    cluster = healthy
    api = patients()
    session_id = api.start_session()
    path = f"/api/sessions/{session_id}/repetitions"
    for n in (1, 2, 3):
        api.until_acknowledged("PUT", path, repetition("right", 1, n))

    # Repetition 4 is sent while another transaction holds its session's row: the
    # instance serving it waits in PostgreSQL, and is killed there.
    dsn = cluster.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    fourth: list[Answer] = []
    with psycopg.connect(dsn) as locker:
        locker.execute("SELECT id FROM exercise_session WHERE id = %s FOR UPDATE", (session_id,))
        sender = threading.Thread(
            target=lambda: fourth.append(
                api.until_acknowledged(
                    "PUT", path, repetition("right", 1, 4), X_Request_ID="player-rep-4"
                )
            )
        )
        sender.start()
        try:
            victim = cluster.instance_holding(waiting_for_a_lock(cluster))
            cluster.kill(victim)
        finally:
            locker.rollback()
            sender.join(timeout=60)
    assert not sender.is_alive()
    assert fourth[0].status == 201, fourth  # saved by the other instance, once
    victim_address = f"127.0.0.1:{cluster.instances()[victim]['port']}"
    tried = _upstreams(cluster, "player-rep-4")
    assert len(tried) == 2, tried
    assert tried[0] == victim_address

    for n in range(5, 11):
        api.until_acknowledged("PUT", path, repetition("right", 1, n))

    # Every answer the client had was a success: nginx hid the dead instance.
    assert [a.status for a in api.answers if a.status >= 300 or a.status == 0] == []
    saved = cluster.sql(
        "SELECT set_no, rep_no, attempt FROM session_repetition WHERE session_id = %s "
        "ORDER BY set_no, rep_no",
        session_id,
    )
    assert saved == [(1, n, 1) for n in range(1, 11)]
    assert not cluster.alive(victim)


class CoachClient:
    """The page's side of /ws/coach through nginx, as coach.js does it: hello with the
    last sequence number seen, frames, and a reconnect with backoff when it breaks."""

    def __init__(self, cluster: Cluster, api: Api, session_id: str, token: str) -> None:
        self.cluster = cluster
        self.api = api
        self.session_id = session_id
        self.token = token
        self.events: list[dict[str, Any]] = []
        self.last_seq = 0
        self.ws: ClientConnection | None = None
        self.request_ids: list[str] = []
        self.reconnect_waits: list[float] = []

    def connect(self) -> dict[str, Any]:
        request_id = f"coach-{self.session_id[:8]}-{len(self.request_ids) + 1}"
        self.request_ids.append(request_id)
        self.ws = connect(
            self.cluster.url.replace("http://", "ws://") + "/ws/coach",
            additional_headers={"Cookie": self.api.cookie, "X-Request-ID": request_id},
            origin=Origin(self.cluster.url),
            proxy=None,
            open_timeout=10,
            legacy=True,  # opened here, closed by the test (or broken by a kill)
        )
        self.ws.send(
            json.dumps(
                {
                    "v": 1,
                    "type": "hello",
                    "session": self.session_id,
                    "token": self.token,
                    "last_seq": self.last_seq,
                    "exercise_id": "seated-leg-raise",
                    "leg": "right",
                }
            )
        )
        ready = self.receive()
        assert ready["type"] == "ready", ready
        assert self.receive()["type"] == "coaching"
        return ready

    def reconnect(self) -> dict[str, Any]:
        for wait in BACKOFF_S:
            time.sleep(wait)
            self.reconnect_waits.append(wait)
            try:
                return self.connect()
            except (OSError, ConnectionClosed, TimeoutError):
                continue
        raise AssertionError("the coach did not come back")

    def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.ws is not None
        event: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        self.events.append(event)
        self.last_seq = max(self.last_seq, int(event.get("seq") or 0))
        return event

    def receive_until_closed(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.receive(timeout=deadline - time.monotonic())

    def drain(self) -> None:
        """Take whatever events have arrived, without waiting."""
        while True:
            try:
                self.receive(timeout=0)
            except TimeoutError:
                return

    def send_frames(self, lm: Landmarks, indices: range) -> None:
        assert self.ws is not None
        for i in indices:
            self.ws.send(json.dumps(frame_message(lm, i)))
            self.drain()
            time.sleep(1 / 50)

    def until_pong(self) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps({"v": 1, "type": "ping"}))
        while self.receive(timeout=30)["type"] != "pong":
            pass

    def saved_reps(self) -> list[int]:
        return [e["rep_no"] for e in self.events if e["type"] == "rep" and e.get("saved")]


def _instance_of_request(cluster: Cluster, request_id: str) -> str:
    holders = [
        name
        for name in cluster.instances()
        if any(
            line.get("request_id") == request_id and line["message"] == "websocket accepted"
            for line in cluster.log_lines(name)
        )
    ]
    assert len(holders) == 1, holders
    return holders[0]


def test_a_live_coach_session_reconnects_to_the_other_instance_and_goes_on(
    healthy: Cluster,
    patients: Callable[[], Api],
    clip_landmarks: Landmarks,  # noqa: F811
):
    cluster = healthy
    lm = clip_landmarks
    truth = labels()
    api = patients()
    session_id = api.start_session()
    token = api.ok("POST", f"/api/sessions/{session_id}/live")["token"]
    # Cut between the second and third repetitions' labelled movement.
    cut_t = (truth["reps"][1]["end_s"] + truth["reps"][2]["start_s"]) / 2 + 0.4
    cut = int(cut_t * 30) // EVERY * EVERY

    client = CoachClient(cluster, api, session_id, token)
    client.connect()
    client.send_frames(lm, range(0, cut, EVERY))
    deadline = time.monotonic() + 30
    while len(client.saved_reps()) < 2 and time.monotonic() < deadline:
        client.drain()
        time.sleep(0.05)
    assert client.saved_reps() == [1, 2]

    victim = _instance_of_request(cluster, client.request_ids[0])
    cluster.kill(victim)
    assert client.ws is not None
    with pytest.raises(ConnectionClosed):  # the page sees its connection end
        client.receive_until_closed()
    seen_before = client.last_seq

    ready = client.reconnect()
    survivor = _instance_of_request(cluster, client.request_ids[-1])
    assert survivor != victim
    assert ready["seq"] > seen_before
    assert [(r["set_no"], r["rep_no"]) for r in ready["repetitions"]] == [(1, 1), (1, 2)]
    client.send_frames(lm, range(cut, len(lm.t), EVERY))
    client.until_pong()
    assert client.ws is not None
    client.ws.close()

    assert len(truth["reps"]) == 4
    assert client.saved_reps() == [1, 2, 3, 4]
    seqs = [e["seq"] for e in client.events if e.get("seq")]
    assert seqs == sorted(set(seqs))  # numbered on, never again
    saved = cluster.sql(
        "SELECT set_no, rep_no, attempt, counted_by FROM session_repetition "
        "WHERE session_id = %s ORDER BY rep_no",
        session_id,
    )
    assert saved == [(1, n, 1, "camera") for n in range(1, 5)]
    assert client.reconnect_waits[0] == BACKOFF_S[0]
