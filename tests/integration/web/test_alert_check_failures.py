"""When the safety re-evaluation after a patient's change fails (the database went away
between the change and the check), the answer is the same as for any request the
database failed: 503 with Retry-After (500 for anything else), never the "response
already started" error of the app's inner exception handlers. The failure is injected:
the database cannot be made to fail at exactly that moment."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from nerveglide.errors import DatabaseUnavailable
from nerveglide.services import alerts
from tests.integration.web.test_diary import ENTRY


@pytest.mark.parametrize(
    ("failure", "status"),
    [(DatabaseUnavailable("the database server closed the connection"), 503),
     (RuntimeError("a bug"), 500)],
)  # fmt: skip
def test_a_failed_check_is_answered_like_any_failed_request(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int
):
    def check_patient(*args: object) -> None:
        raise failure

    monkeypatch.setattr(alerts, "check_patient", check_patient)  # as the app calls it
    answer = client.put(f"/api/diary/{date.today().isoformat()}", json=ENTRY)
    assert answer.status_code == status
    body = answer.json()
    assert body["error"] == status
    assert body["request_id"] == answer.headers["x-request-id"]
    if status == 503:
        assert answer.headers["retry-after"] == "2"
    monkeypatch.undo()
    assert client.get("/api/diary").json()[0]["leg_pain"] == ENTRY["leg_pain"]  # it was kept
