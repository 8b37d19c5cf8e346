"""The clinician's and the admin's JSON API on SQLite and PostgreSQL: the same figures
and the same checks as their pages (the authorization matrix covers who is refused)."""

from __future__ import annotations

from typing import Any

from tests.accounts import add_account, add_alert, log_in
from tests.integration.accounts.conftest import App
from tests.integration.web.test_sessions_api import RAISE_000, screen


def test_the_clinician_api(app: App):
    clinician = add_account(app.url, "therapist@example.org", "clinician")
    patient = add_account(app.url, "p@example.org", clinician_id=clinician)
    add_account(app.url, "someone.else@example.org")  # not this clinician's
    with app.client() as own, app.client() as desk:
        log_in(own, "p@example.org")
        screen(own, rf_weakness="yes")  # a red flag: "see a doctor", and an alert
        log_in(desk, "therapist@example.org")
        lines = desk.get("/api/clinician/patients").json()
        assert [line["patient"]["id"] for line in lines] == [patient]
        (line,) = lines
        assert line["tier"] == "see_doctor"
        assert line["open_alerts"] == 1
        assert line["sessions_7"] == line["sessions_28"] == 0
        assert any(f["tier"] == "see_doctor" for f in line["fired"])

        prescribed = desk.put(
            f"/api/clinician/patients/{patient}/program",
            json={"affected_leg": "right", "glides": [{**RAISE_000, "reps": 12}]},
        )
        assert prescribed.status_code == 200, prescribed.text
        assert prescribed.json()["glides"][0]["reps"] == 12
        assert own.get("/api/program").json()["id"] == prescribed.json()["id"]
        refused = desk.put(
            f"/api/clinician/patients/{patient}/program",
            json={"affected_leg": "right", "glides": [{**RAISE_000, "reps": 99}]},
        )
        assert refused.status_code == 422
        assert "reps" in refused.json()["detail"]

        note = desk.post(f"/api/clinician/patients/{patient}/notes", json={"text": "Call Monday."})
        assert note.status_code == 201
        notes = desk.get(f"/api/clinician/patients/{patient}/notes").json()
        assert [n["text"] for n in notes] == ["Call Monday."]

        overview: dict[str, Any] = desk.get(f"/api/clinician/patients/{patient}").json()
        assert overview["line"]["patient"]["email"] == "p@example.org"
        assert overview["versions"][0]["prescribed_by"] == clinician
        assert [n["id"] for n in overview["notes"]] == [note.json()["id"]]
        (alert,) = overview["alerts"]
        assert alert["acknowledged_at"] is None
        done = desk.post(f"/api/clinician/patients/{patient}/alerts/{alert['id']}/acknowledge")
        assert done.status_code == 204
        again = desk.get(f"/api/clinician/patients/{patient}").json()["alerts"][0]
        assert again["acknowledged_by"] == clinician
        assert desk.get("/api/clinician/patients").json()[0]["open_alerts"] == 0


def test_another_clinicians_patient_and_alert_are_not_found(app: App):
    add_account(app.url, "therapist@example.org", "clinician")
    other = add_account(app.url, "other.therapist@example.org", "clinician")
    stranger = add_account(app.url, "p@example.org", clinician_id=other)
    alert = add_alert(app.url, stranger)
    with app.client() as desk:
        log_in(desk, "therapist@example.org")
        for method, path in (
            ("GET", f"/api/clinician/patients/{stranger}"),
            ("GET", f"/api/clinician/patients/{stranger}/notes"),
            ("POST", f"/api/clinician/patients/{stranger}/alerts/{alert}/acknowledge"),
        ):
            response = desk.request(method, path)
            assert response.status_code == 404, (method, path)
            assert response.json() == {"error": 404, "detail": "There is no such patient."}


def test_the_admin_api(app: App):
    add_account(app.url, "admin@example.org", "admin")
    patient = add_account(app.url, "p@example.org")
    with app.client() as admin, app.client() as phone:
        log_in(phone, "p@example.org")
        log_in(admin, "admin@example.org")
        made = admin.post(
            "/api/admin/clinicians",
            json={"email": "New.Therapist@Example.org", "display_name": "Nia"},
        )
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["email"], body["role"], body["can_log_in"]) == (
            "new.therapist@example.org", "clinician", False,
        )  # fmt: skip
        twice = admin.post("/api/admin/clinicians", json={"email": "new.therapist@example.org"})
        assert twice.status_code == 422
        emails = [a["email"] for a in admin.get("/api/admin/accounts").json()]
        assert emails == ["admin@example.org", "p@example.org", "new.therapist@example.org"]

        disabled = admin.post(f"/api/admin/accounts/{patient}/disable")
        assert disabled.status_code == 200
        assert disabled.json()["disabled_at"] is not None
        assert phone.get("/api/me").status_code == 401  # their sessions ended

        entries = admin.get("/api/admin/audit", params={"action": "disable"}).json()
        assert [(e["action"], e["object_id"], e["actor_role"]) for e in entries] == [
            ("disable", str(patient), "admin")
        ]
        logins = admin.get("/api/admin/audit", params={"action": "login", "limit": 1}).json()
        assert len(logins) == 1
        assert logins[0]["actor_role"] == "admin"  # newest first
        bad = admin.get("/api/admin/audit", params={"since": "yesterday"})
        assert bad.status_code == 422
        assert "since" in bad.json()["detail"]
