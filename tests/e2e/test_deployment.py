"""The README's Deployment section, followed word for word: its shell commands run, in
order, in one shell (as a person types them), in a checkout of its own (so its
``var/cluster`` is the test's), with the ports the README's settings table offers set to
free ones; between the commands, Debian's chromium logs in through nginx as the admin
the README made, and a patient makes an account and uses pages that come from both app
instances. Every process the cluster started is gone afterwards."""

from __future__ import annotations

import json
import os
import queue
import quopri
import re
import shutil
import signal
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.cluster import Cluster, alive, cluster_env, shared_tmp_dir
from tests.e2e.conftest import DESKTOP, REPO, watch

#: What a checkout has that ``make cluster`` uses (the rest is not needed to run it).
CHECKOUT = (
    "Makefile", "README.md", "scripts", "src", "pyproject.toml", "requirements.lock",
    "package.json", "package-lock.json", ".venv", "node_modules",
)  # fmt: skip
PATIENT = "deploy-patient@example.org"
PATIENT_PASSWORD = "a long enough test passphrase"


def readme_steps() -> list[str]:
    """The shell blocks of the README's "Try it on one machine" steps, in order."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Deployment\n", 1)[1].split("\n## ", 1)[0]
    trial = section.split("### Try it on one machine", 1)[1].split("\n### ", 1)[0]
    return [textwrap.dedent(block) for block in re.findall(r"```sh\n(.*?)```", trial, re.S)]


class Shell:
    """One bash, fed one block at a time, as a person at a terminal."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, block: str, timeout_s: float = 120) -> tuple[int, str]:
        assert self.process.stdin is not None
        marker = f"__step_done_{time.monotonic_ns()}__"
        # The block's last line may not end with a newline (curl's answer does not).
        self.process.stdin.write(f"{block}\n__rc=$?; echo; echo {marker} $__rc\n")
        self.process.stdin.flush()
        out: list[str] = []
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"step did not finish in {timeout_s} s:\n{''.join(out)}"
                ) from None
            if line.startswith(marker):
                text = "".join(out)
                return int(line.split()[1]), text[:-1] if text.endswith("\n") else text
            out.append(line)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self.process.stdin is not None:
            self.process.stdin.close()


@pytest.fixture
def checkout() -> Iterator[Path]:
    """A checkout made of links to this one, with a ``var/`` of its own."""
    root = shared_tmp_dir("nerveglide-readme-")
    for name in CHECKOUT:
        (root / name).symlink_to(REPO / name)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_readme_deployment_steps_work_word_for_word(browser: Browser, checkout: Path):
    steps = readme_steps()
    assert len(steps) == 5, steps
    start, ready, admin, look, stop = steps
    password = re.search(r"NERVEGLIDE_ADMIN_PASSWORD='([^']+)'", admin)
    email = re.search(r"--email (\S+)", admin)
    assert password is not None
    assert email is not None

    run = checkout / "var" / "cluster"
    env = cluster_env(run, 2)
    del env["NERVEGLIDE_CLUSTER_DIR"]  # the README's default: var/cluster of the checkout
    del env["NERVEGLIDE_CLUSTER_INSTANCES"]  # and its default: two instances
    cluster = Cluster(run, {**env, "NERVEGLIDE_CLUSTER_DIR": str(run)})
    url = f"http://127.0.0.1:{env['NERVEGLIDE_CLUSTER_PORT']}"
    shell = Shell(checkout, env)
    started: dict[str, int] = {}
    try:
        code, out = shell.run(start, timeout_s=600)  # it may install what is missing
        assert code == 0, out
        assert out.strip().splitlines()[-1] == f"nerveglide cluster is running at {url}"
        started = {
            name: cluster.pid(name) for name in ["nginx", "app-1", "app-2", "worker", "mail"]
        }

        code, out = shell.run(ready)
        assert code == 0, out
        assert json.loads(out.strip().splitlines()[-1])["status"] == "ready"

        code, out = shell.run(admin)
        assert code == 0, out

        # Step 4, in the browser, through nginx.
        desk = browser.new_context(viewport=DESKTOP)
        seen = watch(desk)
        page = desk.new_page()
        page.goto(url)
        page.goto(f"{url}/login")
        page.get_by_label("Email").fill(email.group(1))
        page.get_by_label("Password").fill(password.group(1))
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{url}/admin")
        expect(page.get_by_role("heading", name="Accounts")).to_be_visible()
        desk.close()

        phone = browser.new_context(viewport=DESKTOP)
        seen_phone = watch(phone)
        page = phone.new_page()
        page.goto(f"{url}/login")
        page.get_by_role("link", name="Create an account").click()
        page.get_by_label("Your name").fill("Deployment patient")
        page.get_by_label("Email").fill(PATIENT)
        page.get_by_label("Password (at least 8").fill(PATIENT_PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        expect(page.get_by_role("status")).to_contain_text("We have sent an email")
        # The confirmation link arrives at the cluster's mail catcher (logs/mail.log).
        link = confirmation_link(run / "logs" / "mail.log", url)
        page.goto(link)
        page.get_by_role("button", name="Confirm my account").click()
        page.wait_for_url(f"{url}/program")
        for path in ("/diary", "/sessions", "/reminders", "/account", "/diary", "/program"):
            page.goto(f"{url}{path}")
            assert "/login" not in page.url, path
        phone.close()
        assert seen.foreign_requests == seen_phone.foreign_requests == []
        assert seen.console_errors == seen_phone.console_errors == []

        # The patient's pages came from both instances, each knowing the login.
        [(patient_id,)] = cluster.sql("SELECT id FROM account WHERE email = %s", PATIENT)
        for name in ("app-1", "app-2"):
            served = [
                line for line in cluster.log_lines(name) if line.get("account_id") == patient_id
            ]
            assert served, f"{name} served none of the patient's pages"

        code, out = shell.run(look)
        assert code == 0, out
        for name in ("nginx", "app-1", "app-2", "worker", "mail"):
            assert re.search(rf"^{name}: running, pid \d+$", out, re.M), out
        logged = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert len(logged) == 4, out  # two lines of each log, each one JSON object
        assert {line["logger"] for line in logged[:2]} == {"nginx"}

        code, out = shell.run(stop)
        assert code == 0, out
        assert "nerveglide cluster stopped" in out
        assert not any(alive(pid) for pid in started.values())
    finally:
        shell.close()
        if cluster.state:
            cluster.stop()
        for pid in started.values():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def confirmation_link(mail_log: Path, url: str, timeout_s: float = 30.0) -> str:
    """The registration link the app emailed, as the mail catcher printed it."""
    deadline = time.monotonic() + timeout_s
    pattern = re.compile(re.escape(url) + r"/register/confirm\?token=[A-Za-z0-9_\-]+")
    while time.monotonic() < deadline:
        raw = mail_log.read_bytes() if mail_log.exists() else b""
        # The catcher prints messages as sent: long lines quoted-printable ("=3D", "=\n").
        found = pattern.findall(quopri.decodestring(raw).decode(errors="replace"))
        if found:
            return str(found[-1])
        time.sleep(0.2)
    raise AssertionError(f"no registration link in {mail_log}")
