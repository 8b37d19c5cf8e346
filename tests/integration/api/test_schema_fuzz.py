"""Schemathesis against the app's OpenAPI schema, in-process (ASGI), on a seeded database
(SQLite and PostgreSQL), as each role: anonymous, the patient, their clinician, the admin.

For every operation and role, a bounded number of generated requests (schema-valid ones
with random and with real object ids, and schema-invalid ones): no answer is a 5xx, every
status is documented, every body matches its documented schema and media type, and a
request the schema forbids is refused with a 4xx. Hypothesis runs derandomized (the same
examples every run, so CI is reproducible); raise ``NERVEGLIDE_FUZZ_EXAMPLES`` to look
further on a workstation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from nerveglide.config import get_settings
from nerveglide.store import migrate
from nerveglide.web.app import create_app
from tests.accounts import add_account, add_alert, log_in, upload_video
from tests.integration.web.test_sessions_api import RAISE_000, screen

ROLES = ("anonymous", "patient", "clinician", "admin")
#: Generated requests per operation for the role it is meant for (fewer for the others,
#: who are refused before the body is read).
EXAMPLES = int(os.environ.get("NERVEGLIDE_FUZZ_EXAMPLES", "12"))
REFUSED_EXAMPLES = 3
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass
class FuzzWorld:
    app: FastAPI
    schema: Any
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]


def _audience(path: str) -> str:
    if path.startswith("/api/clinician"):
        return "clinician"
    if path.startswith("/api/admin"):
        return "admin"
    return "patient"


@pytest.fixture
def fuzz_world(database_url: str, tmp_path: Path) -> Iterator[FuzzWorld]:
    migrate.upgrade(database_url)
    app_settings = get_settings(data_dir=tmp_path, database_url=database_url, env="test")
    clinician = add_account(database_url, "clinician@example.org", "clinician")
    add_account(database_url, "admin@example.org", "admin")
    patient = add_account(database_url, "patient@example.org", clinician_id=clinician)
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    with TestClient(create_app(app_settings)) as client:
        for role in ("clinician", "admin", "patient"):
            client.cookies.clear()
            token = log_in(client, f"{role}@example.org")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            headers[role] = {"Cookie": cookie, "X-CSRF-Token": token}
        # The patient (logged in last) gets a program, a session, a diary entry, a video.
        assert client.put(
            "/api/program", json={"affected_leg": "left", "glides": [RAISE_000]}
        ).is_success
        screen(client)
        session = client.post("/api/sessions", json={"pain_before": {"back": 3, "leg": 5}})
        session_id = session.json()["id"]
        recording = upload_video(client, session_id)
    alert = add_alert(database_url, patient)
    ids = {
        "session_id": session_id,
        "recording_id": str(recording["id"]),
        "patient_id": str(patient),
        "alert_id": str(alert),
        "account_id": str(patient),
        "entry_date": app_settings.today(datetime.now(UTC)).isoformat(),
        "questionnaire_id": "roland-morris",
        "exercise_id": "seated-leg-raise",
    }
    app = create_app(app_settings)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    try:
        yield FuzzWorld(app, schema, headers, ids)
    finally:
        asgi.shutdown_lifespans()


def _strategy(operation: Any, ids: dict[str, str]) -> st.SearchStrategy[Any]:
    names = [p.name for p in operation.path_parameters]
    real = {name: ids[name] for name in names if name in ids}
    strategies = [operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)]
    if real:
        strategies.append(operation.as_strategy(path_parameters=real))
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real))
    return st.one_of(strategies)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_matches_its_schema(fuzz_world: FuzzWorld, role: str):
    failures: list[str] = []
    operations = [result.ok() for result in fuzz_world.schema.get_all_operations()]
    assert len(operations) > 20, "the schema looks empty"
    headers = fuzz_world.headers[role]
    for operation in operations:
        examples = EXAMPLES if _audience(operation.path) == role else REFUSED_EXAMPLES

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, fuzz_world.ids))
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then fail once
            failures.append(f"{role} {operation.label}: {exc}"[:3000])
    assert failures == [], "\n\n".join(failures)
