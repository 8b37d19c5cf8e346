"""``/ws/coach`` on SQLite and PostgreSQL, over the app's real WebSocket endpoint: a clip's
landmark stream counts what the motion coach and ``nerveglide analyze`` count (saved as
camera repetitions with range and hold), a reconnect mid-set neither loses nor doubles a
repetition, bad messages get error events and the connection survives, and only a
started, in-progress session's own page, logged in as its patient, may connect."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from nerveglide.content.loader import default_library
from nerveglide.motion.analysis import Landmarks, analyse
from nerveglide.motion.live import LiveCoach, RepEvent, replay, stream
from nerveglide.motion.spec import GlideSpec
from nerveglide.store.db import make_engine
from nerveglide.web.live_messages import MAX_FRAMES_PER_S, MAX_MESSAGE_BYTES
from tests.accounts import add_account, log_in
from tests.integration.live.conftest import frame_message, labels

#: Every third frame of the 30 fps clip: 10 frames a second, as a slow phone sends them.
EVERY = 3


def hello(
    ws: WebSocketTestSession, session_id: str, token: str, last_seq: int = 0
) -> dict[str, Any]:
    ws.send_json(
        {
            "v": 1,
            "type": "hello",
            "session": session_id,
            "token": token,
            "last_seq": last_seq,
            "exercise_id": "seated-leg-raise",
            "leg": "right",
        }
    )
    ready = ws.receive_json()
    assert ready["type"] == "ready", ready
    coaching = ws.receive_json()
    assert coaching["type"] == "coaching", coaching
    return dict(ready)


def until_pong(ws: WebSocketTestSession) -> list[dict[str, Any]]:
    """Every event up to the answer to a ping (so all frames sent before it are done)."""
    ws.send_json({"v": 1, "type": "ping"})
    events = []
    while True:
        event = ws.receive_json()
        events.append(event)
        if event["type"] == "pong":
            return events


def send_frames(
    ws: WebSocketTestSession, lm: Landmarks, indices: range, t_shift: float = 0.0
) -> None:
    """Frames at 50 a second of wall time (under the server's limit)."""
    for i in indices:
        ws.send_text(json.dumps(frame_message(lm, i, t_shift)))
        time.sleep(1 / 50)


def saved(client: TestClient, session_id: str) -> list[dict[str, Any]]:
    reps: list[dict[str, Any]] = client.get(f"/api/sessions/{session_id}").json()["repetitions"]
    return reps


def direct_count(lm: Landmarks, frames: range) -> int:
    spec = GlideSpec.of(default_library().exercise("seated-leg-raise"))
    events = replay(LiveCoach(spec=spec, leg="right"), stream(lm, frames))
    return sum(1 for e in events if isinstance(e, RepEvent) and e.complete)


def test_a_streamed_clip_counts_and_saves_what_the_coach_counts(
    app_client: TestClient, session_id: str, token: str, clip_landmarks: Landmarks
):
    lm = clip_landmarks
    frames = range(0, len(lm.t), EVERY)
    with app_client.websocket_connect("/ws/coach") as ws:
        ready = hello(ws, session_id, token)
        assert ready["repetitions"] == []
        send_frames(ws, lm, frames)
        events = until_pong(ws)

    reps = [e for e in events if e["type"] == "rep" and e["saved"]]
    truth = labels()
    expected = direct_count(lm, frames)
    spec = GlideSpec.of(default_library().exercise("seated-leg-raise"))
    offline = analyse(lm, spec=spec, leg="right").complete_count  # as `nerveglide analyze`
    assert offline == expected
    print(
        f"{len(reps)} repetitions over the socket, {expected} fed directly, "
        f"{len(truth['reps'])} labelled"
    )
    assert len(reps) == expected == len(truth["reps"])
    assert [(r["set_no"], r["rep_no"]) for r in reps] == [(1, n) for n in range(1, expected + 1)]
    assert all(r["leg"] == "right" and r["exercise_id"] == "seated-leg-raise" for r in reps)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))

    rows = saved(app_client, session_id)
    assert [(r["set_no"], r["rep_no"]) for r in rows] == [(1, n) for n in range(1, expected + 1)]
    assert all(r["counted_by"] == "camera" for r in rows)
    assert all(r["range_deg"] is not None and r["range_deg"] > 20 for r in rows)
    assert all(r["measures"]["joint"] == "knee_flexion_right" for r in rows)
    history = app_client.get("/sessions").text
    assert f"counted by the camera: {expected}, range of motion" in history


@pytest.mark.parametrize("reload", [False, True], ids=["same-page", "page-reloaded"])
def test_a_reconnect_mid_set_neither_loses_nor_doubles_a_repetition(
    app_client: TestClient,
    session_id: str,
    token: str,
    clip_landmarks: Landmarks,
    reload: bool,
):
    lm = clip_landmarks
    truth = labels()
    # Cut between the second and third repetitions' labelled movement.
    cut_t = (truth["reps"][1]["end_s"] + truth["reps"][2]["start_s"]) / 2 + 0.4
    cut = int(cut_t * 30) // EVERY * EVERY
    with app_client.websocket_connect("/ws/coach") as ws:
        hello(ws, session_id, token)
        send_frames(ws, lm, range(0, cut, EVERY))
        first = until_pong(ws)
    first_reps = [e for e in first if e["type"] == "rep" and e["saved"]]
    assert len(first_reps) == 2

    # A reloaded page's clock starts again from zero; the server carries its time on.
    shift = -float(lm.t[cut]) if reload else 0.0
    with app_client.websocket_connect("/ws/coach") as ws:
        ready = hello(ws, session_id, token, last_seq=first[-1]["seq"])
        assert ready["seq"] > first[-1]["seq"]
        assert [(r["set_no"], r["rep_no"]) for r in ready["repetitions"]] == [(1, 1), (1, 2)]
        send_frames(ws, lm, range(cut, len(lm.t), EVERY), t_shift=shift)
        second = until_pong(ws)
    second_reps = [e for e in second if e["type"] == "rep" and e["saved"]]
    assert [e["rep_no"] for e in first_reps + second_reps] == [1, 2, 3, 4]
    assert min(e["seq"] for e in second) > max(e["seq"] for e in first)
    rows = saved(app_client, session_id)
    assert [(r["set_no"], r["rep_no"], r["attempt"]) for r in rows] == [
        (1, n, 1) for n in range(1, 5)
    ]


def test_frames_are_answered_while_a_repetition_waits_for_the_database(
    app_client: TestClient,
    session_id: str,
    token: str,
    clip_landmarks: Landmarks,
    database_url: str,
):
    """A counted repetition is saved in the background: while another writer holds the
    live coach's row, later frames still get their events at once, and the repetition's
    event comes only after its save, with the repetition in the database."""
    lm = clip_landmarks
    truth = labels()
    first_end = truth["reps"][0]["end_s"]
    # Up to well after the first repetition's end (it is counted within 0.5 s of it),
    # before the second one starts.
    upto = int((first_end + truth["reps"][1]["start_s"]) / 2 * 30) // EVERY * EVERY
    engine = make_engine(database_url)
    try:
        with app_client.websocket_connect("/ws/coach") as ws:
            hello(ws, session_id, token)
            with engine.connect() as other:
                # An open write on the coach's row: SQLite's write lock, PostgreSQL's row lock.
                other.execute(
                    text("UPDATE live_coach SET frames = frames WHERE session_id = :s"),
                    {"s": session_id},
                )
                send_frames(ws, lm, range(0, upto, EVERY))
                held = until_pong(ws)
                assert not any(e["type"] == "rep" for e in held)
                assert saved(app_client, session_id) == []
                other.rollback()
            after: list[dict[str, Any]] = []
            while not any(e["type"] == "rep" for e in after):
                after.append(ws.receive_json())
            rep = after[-1]
            assert rep["saved"]
            assert (rep["set_no"], rep["rep_no"]) == (1, 1)
            assert rep["seq"] > held[-1]["seq"]  # numbered when sent: the page drops none
            assert [(r["set_no"], r["rep_no"]) for r in saved(app_client, session_id)] == [(1, 1)]
            # The frame that counted it (its phase back to rest) was answered at once.
            phases = [e for e in held if e["type"] == "phase"]
            assert phases
            assert max(float(e["t"]) for e in phases) >= float(rep["t"])
    finally:
        engine.dispose()


def test_bad_messages_get_error_events_and_the_connection_survives(
    app_client: TestClient, session_id: str, token: str, clip_landmarks: Landmarks
):
    good = frame_message(clip_landmarks, 0)
    short = {**good, "lm": good["lm"][:32]}
    pixels = {**good, "image": "data:image/jpeg;base64,/9j/4AAQ"}
    bad_visibility = {**good, "lm": [[0.5, 0.5, 0.0, 7.0]] * 33}
    with app_client.websocket_connect("/ws/coach") as ws:
        hello(ws, session_id, token)

        def error_for(send: Any) -> dict[str, Any]:
            send()
            event = ws.receive_json()
            assert event["type"] == "error", event
            return dict(event)

        assert error_for(lambda: ws.send_text("not json"))["code"] == "invalid"
        assert "lm" in error_for(lambda: ws.send_json(short))["message"]
        assert "image" in error_for(lambda: ws.send_json(pixels))["message"]
        assert "lm" in error_for(lambda: ws.send_json(bad_visibility))["message"]
        assert error_for(lambda: ws.send_text('{"v": 2, "type": "ping"}'))["code"] == "invalid"
        huge = json.dumps({**good, "pad": "x" * (MAX_MESSAGE_BYTES * 3)})
        assert error_for(lambda: ws.send_text(huge))["code"] == "too_large"
        assert error_for(lambda: ws.send_bytes(b"\xff\xd8\xff\xe0 a jpeg"))["code"] == "binary"
        again = {**good, "t": good["t"]}
        ws.send_json(good)
        ws.send_json(again)  # the same time twice
        events = until_pong(ws)
        assert any(e["type"] == "error" and "increase" in e["message"] for e in events)

        # Far faster than the limit: frames are dropped with an error, and it goes on.
        n = int(MAX_FRAMES_PER_S * 3)
        for k in range(n):
            ws.send_json({**good, "t": 100.0 + k / 1000})
        events = until_pong(ws)
        assert any(e["type"] == "error" and e["code"] == "too_fast" for e in events)
        assert events[-1]["type"] == "pong"


def test_only_a_started_in_progress_session_with_its_key_may_connect(
    app_client: TestClient, session_id: str, token: str
):
    def refused(body: dict[str, Any], **headers: str) -> int:
        with app_client.websocket_connect("/ws/coach", headers=headers) as ws:
            ws.send_json(body)
            event = ws.receive_json()
            assert event["type"] == "error"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        return closed.value.code

    base = {"v": 1, "type": "hello", "session": session_id, "token": token}
    assert refused({**base, "session": "no-such-session"}) == 4404
    assert refused({**base, "token": "a-guess"}) == 4403
    assert refused({"v": 1, "type": "ping"}) == 4400

    # A page on another site can't open it at all.
    foreign_origin = {"origin": "https://evil.test"}
    with (
        pytest.raises(WebSocketDisconnect) as foreign,
        app_client.websocket_connect("/ws/coach", headers=foreign_origin),
    ):
        pass
    assert foreign.value.code == 4403

    # A session that has ended refuses the camera, and a new key for it too.
    finished = app_client.post(f"/api/sessions/{session_id}/finish", json={"status": "completed"})
    assert finished.status_code == 200, finished.text
    assert refused(base) == 4403
    assert app_client.post(f"/api/sessions/{session_id}/live").status_code == 403
    assert app_client.post("/api/sessions/no-such-session/live").status_code == 404


def test_a_new_key_replaces_the_old_one(app_client: TestClient, session_id: str, token: str):
    newer = app_client.post(f"/api/sessions/{session_id}/live").json()["token"]
    assert newer != token
    with app_client.websocket_connect("/ws/coach") as ws:
        hello(ws, session_id, newer)
    with app_client.websocket_connect("/ws/coach") as ws:
        ws.send_json({"v": 1, "type": "hello", "session": session_id, "token": token})
        assert ws.receive_json()["code"] == "refused"


def test_numbering_goes_on_after_the_last_event_the_page_saw(
    app_client: TestClient, session_id: str, token: str
):
    # As after a server that stopped before it could store its own last number.
    with app_client.websocket_connect("/ws/coach") as ws:
        ready = hello(ws, session_id, token, last_seq=500)
    assert ready["seq"] == 501


def refusal(client: TestClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The close code and the error event of a refused hello."""
    with client.websocket_connect("/ws/coach") as ws:
        ws.send_json(body)
        event = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return closed.value.code, dict(event)


def test_only_the_logged_in_patient_whose_session_it_is_may_connect(
    app_client: TestClient, session_id: str, token: str, database_url: str
):
    base = {"v": 1, "type": "hello", "session": session_id, "token": token}
    # Nobody logged in (no login cookie in the handshake): refused, even with the key.
    nobody = TestClient(app_client.app)
    code, event = refusal(nobody, base)
    assert (code, event["code"]) == (4401, "refused")
    assert "log in" in event["message"].lower()

    # Another patient, even one who somehow holds the key: the session is not theirs.
    other = TestClient(app_client.app)
    add_account(database_url, "other.patient@example.org")
    log_in(other, "other.patient@example.org")
    code, event = refusal(other, base)
    assert (code, event["code"]) == (4404, "refused")
    assert session_id not in json.dumps(event)
    assert other.post(f"/api/sessions/{session_id}/live").status_code == 404

    # A clinician has no camera coach of a patient's session.
    add_account(database_url, "clinician@example.org", "clinician")
    clinician = TestClient(app_client.app)
    log_in(clinician, "clinician@example.org")
    assert refusal(clinician, base)[0] == 4404

    # The owner still can; after logging out, the same page can't.
    with app_client.websocket_connect("/ws/coach") as ws:
        hello(ws, session_id, token)
    assert app_client.post("/logout", follow_redirects=False).status_code == 303
    assert refusal(app_client, base)[0] == 4401

    # Each refusal is in the audit log as a denied access: who, which session, why.
    engine = make_engine(database_url)
    with engine.connect() as connection:
        denied = connection.execute(
            text(
                "SELECT actor_role, object_id FROM audit_event WHERE action = 'connect' "
                "AND object_type = 'live_coach' AND outcome = 'denied' ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in denied] == [
        (None, session_id),  # nobody logged in
        ("patient", session_id),  # another patient
        ("clinician", session_id),
        (None, session_id),  # logged out
    ]


def test_a_wrong_key_and_a_foreign_page_are_audited_as_denied(
    app_client: TestClient, session_id: str, token: str, database_url: str
):
    base = {"v": 1, "type": "hello", "session": session_id, "token": "a-guess"}
    assert refusal(app_client, base)[0] == 4403
    with (
        pytest.raises(WebSocketDisconnect),
        app_client.websocket_connect("/ws/coach", headers={"origin": "https://evil.test"}),
    ):
        pass
    engine = make_engine(database_url)
    with engine.connect() as connection:
        denied = connection.execute(
            text(
                "SELECT actor_role, object_id, detail FROM audit_event WHERE "
                "object_type = 'live_coach' AND outcome = 'denied' ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [(row[0], row[1]) for row in denied] == [("patient", session_id), ("patient", None)]
    assert "not valid" in str(denied[0][2])
    assert "another site" in str(denied[1][2])
