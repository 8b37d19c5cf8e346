"""The authorization matrix, generated from the app's route table: for every route and
method, an anonymous visitor, the patient who owns the data, another patient, the
patient's clinician, another clinician and the admin, each gets what their role allows,
and another person's objects answer 404 (so ids leak nothing).

A route the matrix cannot classify fails the test: a new route must say who it is for
(public, the patient's own data through ``UoWDep``/``PatientIdDep``, the clinician's or
the admin's pages), and then it is checked like the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.routing import WebSocketRoute

from nerveglide.store.db import make_engine
from nerveglide.web.auth import PUBLIC_ROUTES
from nerveglide.web.deps import get_patient_id, get_uow
from tests.accounts import add_account, add_alert, log_in, upload_video
from tests.integration.accounts.conftest import App
from tests.integration.web.test_sessions_api import RAISE_000, rep, screen

ACTORS = ("anonymous", "owner", "other_patient", "clinician", "other_clinician", "admin")
#: Routes for logged-in people of any role (their own account).
ANY_ROLE = frozenset({"/account", "/logout", "/api/me"})
NOTE = "MARKER-owner-diary-note"


def _depends_on(route: APIRoute, targets: set[Callable[..., Any]]) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call in targets:
            return True
        stack.extend(dependant.dependencies)
    return False


def classify(route: APIRoute) -> str:
    if route.path in PUBLIC_ROUTES:
        return "public"
    if _depends_on(route, {get_uow, get_patient_id}):
        return "own"
    if route.path.startswith(("/clinician", "/api/clinician/")):
        return "clinician"
    if route.path.startswith(("/admin", "/api/admin/")):
        return "admin"
    if route.path in ANY_ROLE:
        return "any"
    return "unclassified"


def _all_routes(candidates: list[Any]) -> Iterator[Any]:
    for route in candidates:
        if hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            yield from _all_routes(list(route.original_router.routes))
        else:
            yield route


def _api_routes(candidates: list[Any]) -> Iterator[APIRoute]:
    for route in _all_routes(candidates):
        if isinstance(route, APIRoute):
            yield route


def _is_websocket(route: Any) -> bool:
    return isinstance(route, APIWebSocketRoute | WebSocketRoute)


def routes(app: Any) -> list[tuple[APIRoute, str]]:
    found = [
        (route, method)
        for route in _api_routes(list(app.routes))
        for method in sorted(route.methods or ())
    ]
    assert len(found) > 60, "the route table looks empty: the matrix would check nothing"
    # Ending the session next to last (the live coach needs it in progress), logging out last.
    return sorted(
        found,
        key=lambda rm: (
            rm[0].path == "/logout",
            rm[0].path.startswith("/api/sessions/") and rm[0].path.endswith(("/finish", "/stop")),
        ),
    )


#: WebSocket routes (not in the matrix: a WebSocket has no method and status to check),
#: each with its own test of who is refused.
WEBSOCKETS = {
    # tests/integration/live/test_coach_socket.py: no login, another patient's session, a
    # clinician, a logged-out page, a wrong key, an ended session, a foreign origin.
    "/ws/coach",
}


def test_every_route_is_classified(app: App):
    with app.client() as client:
        unclassified = [
            f"{method} {route.path}"
            for route, method in routes(client.app)
            if classify(route) == "unclassified"
        ]
        app_routes: list[Any] = list(getattr(client.app, "routes", []))
        websockets = {route.path for route in _all_routes(app_routes) if _is_websocket(route)}
    assert unclassified == [], "routes with no access rule; classify them in this test"
    assert websockets == WEBSOCKETS, "a WebSocket route with no test of who may connect"


@pytest.fixture
def world(app: App) -> Iterator[dict[str, Any]]:
    """Six clients, one per actor, and the owner's objects for the path parameters."""
    url = app.url
    clinician = add_account(url, "clinician@example.org", "clinician")
    add_account(url, "other.clinician@example.org", "clinician")
    add_account(url, "admin@example.org", "admin")
    owner = add_account(url, "owner@example.org", clinician_id=clinician)
    add_account(url, "other@example.org")
    victim = add_account(url, "victim@example.org")
    emails = {
        "owner": "owner@example.org",
        "other_patient": "other@example.org",
        "clinician": "clinician@example.org",
        "other_clinician": "other.clinician@example.org",
        "admin": "admin@example.org",
    }
    with ExitStack() as stack:
        clients = {actor: stack.enter_context(app.client()) for actor in ACTORS}
        for actor, email in emails.items():
            log_in(clients[actor], email)
        own = clients["owner"]
        assert own.put(
            "/api/program", json={"affected_leg": "left", "glides": [RAISE_000]}
        ).is_success
        screen(own)
        session = own.post("/api/sessions", json={"pain_before": {"back": 3, "leg": 5}}).json()
        today = app.settings.today(datetime.now(UTC)).isoformat()
        entry = {
            "back_pain": 2,
            "leg_pain": 4,
            "numbness": "none",
            "weakness": "none",
            "note": NOTE,
        }
        assert own.put(f"/api/diary/{today}", json=entry).is_success
        assert own.post("/reminders/feeds").status_code == 201
        recording = upload_video(own, session["id"])
        engine = make_engine(url)
        with engine.begin() as connection:
            feed = connection.execute(text("SELECT id FROM calendar_feed")).scalar_one()
        engine.dispose()
        alert = add_alert(url, owner)
        params = {
            "session_id": session["id"],
            "entry_date": today,
            "questionnaire_id": "roland-morris",
            "analysis_id": "0123456789abcdef",
            "name": "report.pdf",
            "patient_id": str(owner),
            "alert_id": str(alert),
            "account_id": str(victim),
            "feed_id": str(feed),
            "exercise_id": "seated-leg-raise",
            "recording_id": str(recording["id"]),
        }
        yield {"clients": clients, "params": params, "session_id": session["id"]}


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/sessions/{session_id}/repetitions"): rep(1),
    ("POST", "/api/sessions/{session_id}/stop"): {
        "pain": 6,
        "areas": [{"area": "calf", "side": "left"}],
        "occurred_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
    },
    ("POST", "/api/sessions/{session_id}/finish"): {"status": "ended_early"},
    ("POST", "/api/clinician/patients/{patient_id}/notes"): {"text": "Seen today."},
    ("PUT", "/api/clinician/patients/{patient_id}/program"): {
        "affected_leg": "left",
        "glides": [RAISE_000],
    },
    ("POST", "/api/admin/clinicians"): {"email": "new.clinician@example.org"},
}


def request(client: TestClient, method: str, route: APIRoute, params: dict[str, str]):
    path = route.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no test value for a parameter of {route.path}"
    body = BODIES.get((method, route.path), {})
    return client.request(
        method, path, json=body if method != "GET" else None, follow_redirects=False
    )


def _leaks(response: Any, secrets: tuple[str, ...]) -> bool:
    return any(secret in response.text for secret in secrets)


def test_the_matrix(world: dict[str, Any]):
    clients: dict[str, TestClient] = world["clients"]
    params: dict[str, str] = world["params"]
    secrets = (NOTE,)  # the owner's diary note: nobody else may ever see it
    problems: list[str] = []
    owner_app = clients["owner"].app
    for route, method in routes(owner_app):
        kind = classify(route)
        for actor in ACTORS:
            if route.path == "/logout" and actor != "anonymous":
                continue  # checked in test_sessions; logging out here would end the matrix
            response = request(clients[actor], method, route, params)
            status = response.status_code
            where = f"{actor:16} {method:6} {route.path} ({kind}) -> {status}"
            if actor == "anonymous":
                if kind == "public":
                    ok = status not in (401, 403) or method != "GET"
                elif method == "GET" and not route.path.startswith("/api/"):
                    ok = status == 303 and response.headers["location"].startswith("/login")
                else:
                    ok = status == 401
            elif kind in ("public", "any"):
                ok = status not in (401, 403, 500)
            elif kind == "own":
                if actor == "owner":
                    ok = status not in (401, 403, 500)
                elif actor == "other_patient":
                    has_object = any(
                        p in route.path for p in ("{session_id}", "{analysis_id}", "{feed_id}")
                    )
                    ok = (status == 404 if has_object else status < 500) and not _leaks(
                        response, secrets
                    )
                else:  # clinicians and the admin use their own pages, not the patient's
                    ok = status == 403 and not _leaks(response, secrets)
            elif kind == "clinician":
                if actor == "clinician":
                    ok = status not in (401, 403, 404, 500)
                elif actor == "other_clinician":
                    ok = (status == 404 if "{patient_id}" in route.path else status < 500) and (
                        not _leaks(response, secrets)
                    )
                else:
                    ok = status == 403
            else:  # admin
                ok = status not in (401, 403, 500) if actor == "admin" else status == 403
            if not ok:
                problems.append(where)
    assert problems == [], "\n".join(problems)


def test_a_clinician_sees_an_assigned_patient_and_the_read_is_audited(world, app: App):
    clinician: TestClient = world["clients"]["clinician"]
    patient_id = world["params"]["patient_id"]
    page = clinician.get(f"/clinician/patients/{patient_id}")
    assert page.status_code == 200
    assert page.text.count('class="demo-figure plot-figure"') >= 2  # the Progress plots
    assert NOTE not in page.text  # a diary note is the patient's, not on this page
    dashboard = clinician.get("/clinician").text
    assert f"/clinician/patients/{patient_id}" in dashboard
    other = world["clients"]["other_clinician"].get("/clinician").text
    assert f"/clinician/patients/{patient_id}" not in other
    engine = make_engine(app.url)
    with engine.connect() as connection:
        reads = connection.execute(
            text(
                "SELECT actor_role, outcome FROM audit_event WHERE action IN ('read', 'access') "
                "AND patient_id = :p"
            ),
            {"p": int(patient_id)},
        ).all()
    engine.dispose()
    assert ("clinician", "ok") in [tuple(r) for r in reads]


def test_the_dashboard_shows_the_last_questionnaire_change_against_the_mic(world, app: App):
    from tests.integration.web.test_questionnaires import rmdq

    owner: TestClient = world["clients"]["owner"]
    clinician: TestClient = world["clients"]["clinician"]
    for yes in (12, 7):
        answered = owner.post(
            "/api/questionnaires/roland-morris/responses", json={"answers": rmdq(yes)}
        )
        assert answered.status_code == 201
        engine = make_engine(app.url)
        with engine.begin() as connection:  # the first answer becomes an older baseline
            connection.execute(
                text("UPDATE questionnaire_response SET answered_at = :t WHERE total = 12"),
                {"t": datetime.now(UTC) - timedelta(days=30)},
            )
        engine.dispose()
    row = clinician.get("/clinician").text
    assert "Roland-Morris" in row
    assert "12.0 → 7.0 (better by 5.0" in row
    assert "an important change" in row
