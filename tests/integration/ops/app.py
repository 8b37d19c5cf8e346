"""A real ``nerveglide serve`` process, and a patient who writes to it over HTTP.

The fault tests start the app as a subprocess (so it can be killed, or its disk taken
away), drive it as a client would, and keep a ledger of every write: when it was sent and
whether the app acknowledged it (2xx). What the app acknowledged is then checked against
what it serves after the fault, and against the database itself.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

EMAIL = "patient@example.org"
PASSWORD = "a long enough test passphrase"
#: Repetitions of one session (the seated leg raises: 10 to 20 by source 000).
REPS = 20
#: Seconds a kept-alive connection may sit idle before a new one is used (uvicorn closes
#: idle ones after 5).
IDLE = 2.0
PROGRAM = {
    "affected_leg": "left",
    "glides": [
        {"exercise_id": "seated-leg-raise", "dose": "seated-leg-raise.dose.000", "reps": REPS}
    ],
}


def app_env(data_dir: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of a nerveglide process on ``data_dir`` (SQLite when no URL)."""
    return {
        **os.environ,
        "NERVEGLIDE_DATA_DIR": str(data_dir),
        "NERVEGLIDE_DATABASE_URL": database_url,
        "NERVEGLIDE_TIMEZONE": "UTC",
        "COLUMNS": "200",
        **extra,
    }


def nerveglide(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a ``nerveglide`` command to its end."""
    return subprocess.run(
        [sys.executable, "-m", "nerveglide", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class App:
    """A running ``nerveglide serve``; its output goes to ``log``."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def serve(env: dict[str, str], log: Path) -> App:
    """Start ``nerveglide serve`` on a free port and wait until it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nerveglide", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = App(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{app.base}/healthz", timeout=2).close()
            return app
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                app.stop()
                raise RuntimeError(f"the app did not start:\n{app.output()}") from None
            time.sleep(0.2)


@dataclass
class Reply:
    status: int
    body: bytes
    cookies: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Patient:
    """One patient's HTTP client (a connection per thread), logged in by cookie."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []

    def __enter__(self) -> Patient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection any thread opened."""
        for connection in self._opened:
            connection.close()

    @classmethod
    def with_login(cls, base: str, other: Patient) -> Patient:
        """A client of the app at ``base`` with ``other``'s login cookie (sessions are rows
        in the database, so they outlive a restart and come back with a restore)."""
        patient = cls(base)
        patient.cookies, patient.csrf = dict(other.cookies), other.csrf
        return patient

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is not None and time.monotonic() - self._local.used > IDLE:
            connection.close()  # the server may be closing it: don't race it
            connection = None
        self._local.used = time.monotonic()
        if connection is None:
            url = urlparse(self.base)
            connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
            self._local.connection = connection
            self._opened.append(connection)
        return connection

    def request(
        self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None
    ) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data: bytes | None = None
        if form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        connection = self._connection()
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self._local.connection = None
            raise
        cookies = {}
        for header in response.headers.get_all("set-cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return Reply(response.status, payload, cookies)

    def _form(self, path: str, fields: dict[str, str]) -> None:
        """Send a pre-login form (registration, login) as a browser does; keep the login."""
        self.cookies, self.csrf = {}, ""
        anon = self.request("GET", path).cookies["nerveglide_csrf"]
        self.cookies = {"nerveglide_csrf": anon}
        reply = self.request("POST", path, form={**fields, "csrf_token": anon})
        assert reply.status == 303, (reply.status, reply.body[:300])
        self.cookies = {k: v for k, v in reply.cookies.items() if k != "nerveglide_csrf" and v}
        self.csrf = str(self.request("GET", "/api/me").json()["csrf_token"])

    def register(self, env: dict[str, str]) -> None:
        """Register through the form, then confirm with a registration link for the same
        address (the app's own went into an email; ``env`` names the app's database)."""
        from nerveglide.store.db import make_engine, make_session_factory
        from tests.accounts import registration_token

        self.cookies, self.csrf = {}, ""
        anon = self.request("GET", "/register").cookies["nerveglide_csrf"]
        self.cookies = {"nerveglide_csrf": anon}
        fields = {"email": EMAIL, "password": PASSWORD, "display_name": "P", "csrf_token": anon}
        reply = self.request("POST", "/register", form=fields)
        assert reply.status == 200, (reply.status, reply.body[:300])
        url = env.get("NERVEGLIDE_DATABASE_URL") or (
            f"sqlite:///{Path(env['NERVEGLIDE_DATA_DIR']) / 'nerveglide.db'}"
        )
        engine = make_engine(url)
        try:
            token = registration_token(make_session_factory(engine), EMAIL, PASSWORD)
        finally:
            engine.dispose()
        self._form("/register/confirm", {"token": token})

    def log_in(self) -> None:
        self._form("/login", {"email": EMAIL, "password": PASSWORD})

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.request(method, path, body)
        assert 200 <= reply.status < 300, (method, path, reply.status, reply.body[:300])
        return reply.json()

    def prepare(self) -> None:
        """A program and the red-flag questions answered: sessions may start."""
        self.ok("PUT", "/api/program", PROGRAM)
        questions = self.ok("GET", "/api/safety/rules")["questions"]
        self.ok("POST", "/api/screening", {"answers": {q["id"]: "no" for q in questions}})

    def today(self) -> date:
        return datetime.now(UTC).date()  # NERVEGLIDE_TIMEZONE is UTC in these tests

    def diary_notes(self) -> list[str]:
        saves = self.ok("GET", f"/api/diary/{self.today()}/history")
        return [str(save["note"]) for save in saves]

    def repetitions(self, session_id: str) -> list[int]:
        session = self.ok("GET", f"/api/sessions/{session_id}")
        return [int(rep["rep_no"]) for rep in session["repetitions"]]


def diary_body(note: str) -> dict[str, Any]:
    return {"back_pain": 2, "leg_pain": 4, "numbness": "mild", "weakness": "none", "note": note}


def rep_body(rep_no: int) -> dict[str, Any]:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(seconds=10 * rep_no)
    return {
        "exercise_id": "seated-leg-raise",
        "leg": "left",
        "set_no": 1,
        "rep_no": rep_no,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=6)).isoformat(),
    }


@dataclass
class Write:
    """One write a writer sent: what, when, and whether the app acknowledged it."""

    kind: str  # "diary" (key: the note), "rep" (key: session id and rep number), "session"
    key: tuple[str, ...]
    sent: float
    acked: float | None = None
    status: int | None = None


@dataclass
class Ledger:
    """Every write the writers sent, in the order they sent them."""

    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, write: Write) -> None:
        with self.lock:
            self.writes.append(write)

    def acked(self, before: float = float("inf")) -> list[Write]:
        with self.lock:
            return [w for w in self.writes if w.acked is not None and w.acked < before]

    def sent_after(self, moment: float) -> list[Write]:
        with self.lock:
            return [w for w in self.writes if w.sent > moment]

    def count(self) -> int:
        return len(self.acked())


class Writers:
    """Threads that each keep saving diary entries and repetitions (in sessions of their
    own, a new one when one is full) until stopped or the app stops answering."""

    def __init__(self, patient: Patient, ledger: Ledger, threads: int = 3) -> None:
        self.patient = patient
        self.ledger = ledger
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
        ]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for(self, acks: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.ledger.count() < acks:
            assert time.monotonic() < deadline, f"only {self.ledger.count()} writes acknowledged"
            assert any(t.is_alive() for t in self.threads), "every writer stopped"
            time.sleep(0.05)

    def _send(self, write: Write, method: str, path: str, body: Any) -> Any:
        self.ledger.add(write)
        reply = self.patient.request(method, path, body)
        write.status = reply.status
        if 200 <= reply.status < 300:
            write.acked = time.monotonic()
            return reply.json()
        raise AssertionError(f"{method} {path}: {reply.status} {reply.body[:200]!r}")

    def _run(self, number: int) -> None:
        session_id, rep_no, count = "", REPS, 0
        try:
            while not self.stop_event.is_set():
                count += 1
                note = f"writer {number} save {count}"
                self._send(
                    Write("diary", (note,), time.monotonic()),
                    "PUT",
                    f"/api/diary/{self.patient.today()}",
                    diary_body(note),
                )
                if rep_no == REPS:
                    start = Write("session", (), time.monotonic())
                    body = {"pain_before": {"back": 2, "leg": 4}}
                    session_id, rep_no = (
                        str(self._send(start, "POST", "/api/sessions", body)["id"]),
                        0,
                    )
                    start.key = (session_id,)
                rep_no += 1
                self._send(
                    Write("rep", (session_id, str(rep_no)), time.monotonic()),
                    "PUT",
                    f"/api/sessions/{session_id}/repetitions",
                    rep_body(rep_no),
                )
        except (OSError, http.client.HTTPException):
            return  # the app went away (killed, stopped): the test decides what that means


def acknowledged(writes: list[Write]) -> tuple[set[str], set[tuple[str, int]]]:
    """The diary notes and (session, repetition) pairs among ``writes``."""
    notes = {w.key[0] for w in writes if w.kind == "diary"}
    reps = {(w.key[0], int(w.key[1])) for w in writes if w.kind == "rep"}
    return notes, reps


def served(patient: Patient, sessions: set[str]) -> tuple[list[str], list[tuple[str, int]]]:
    """What the app serves: today's diary saves and each session's repetitions (with any
    duplicates, so a test can see them)."""
    reps = [(s, n) for s in sorted(sessions) for n in patient.repetitions(s)]
    return patient.diary_notes(), reps


def stored(connection: Any) -> tuple[list[str], list[tuple[str, int]]]:
    """The same, read straight from the database (a DB-API connection)."""
    cursor = connection.cursor()
    cursor.execute("SELECT note FROM diary_entry")
    notes = [str(row[0]) for row in cursor.fetchall()]
    cursor.execute("SELECT session_id, rep_no FROM session_repetition")
    reps = [(str(row[0]), int(row[1])) for row in cursor.fetchall()]
    return notes, reps


def duplicates(items: list[Any]) -> list[Any]:
    """The items that occur more than once."""
    return sorted(item for item, count in Counter(items).items() if count > 1)
