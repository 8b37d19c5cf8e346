"""Every command of the CLI, run as a real process, and its bad input."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from nerveglide.content.schema import EXERCISE_IDS, SEED_000, SEED_002


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "nerveglide", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


@pytest.fixture
def data_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "data").mkdir()
    return {"NERVEGLIDE_DATA_DIR": str(tmp_path / "data"), "NERVEGLIDE_DATABASE_URL": ""}


def test_exercises_lists_the_three_glides_with_doses_by_source():
    result = run("exercises")
    assert result.returncode == 0, result.stderr
    for exercise_id in EXERCISE_IDS:
        assert exercise_id in result.stdout
    assert "Aim for 15 repetitions, up to five times a day." in result.stdout
    assert SEED_002 in result.stdout


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_show_prints_steps_and_sources(exercise_id: str):
    result = run("show", exercise_id)
    assert result.returncode == 0, result.stderr
    assert "Steps" in result.stdout
    assert SEED_000 in result.stdout
    assert SEED_002 in result.stdout


def test_show_supine_glide_keeps_the_other_leg_and_the_variant():
    out = run("show", "supine-nerve-glide").stdout
    assert "Keep your other leg straight" in out
    assert "gently pull the raised leg across" in out
    assert "on both legs" in out


def test_unknown_exercise_lists_the_known_ones_and_exits_2():
    for command in (["show", "standing-kick"], ["demo", "standing-kick", "--out", "x.svg"]):
        result = run(*command)
        assert result.returncode == 2
        assert "unknown exercise 'standing-kick'" in result.stderr
        for exercise_id in EXERCISE_IDS:
            assert exercise_id in result.stderr


def test_demo_writes_an_animated_svg(tmp_path: Path):
    out = tmp_path / "kick.svg"
    result = run("demo", "seated-leg-kick", "--out", str(out))
    assert result.returncode == 0, result.stderr
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}animate")) > 10


def test_demo_writes_an_animated_gif(tmp_path: Path):
    out = tmp_path / "raise.gif"
    result = run("demo", "seated-leg-raise", "--out", str(out), "--fps", "6")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.format == "GIF"
        assert getattr(image, "n_frames", 1) > 10


def test_demo_refuses_an_unknown_format_and_a_missing_folder(tmp_path: Path):
    result = run("demo", "seated-leg-raise", "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 2
    assert "must end in .svg or .gif" in result.stderr
    result = run("demo", "seated-leg-raise", "--out", str(tmp_path / "no" / "x.svg"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_db_upgrade_current_and_downgrade(data_env: dict[str, str], tmp_path: Path):
    assert run("db", "current", env=data_env).stdout.strip() == "base"
    result = run("db", "upgrade", env=data_env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "nerveglide.db").is_file()
    head = run("db", "current", env=data_env).stdout.strip()
    assert head not in ("", "base")
    assert run("db", "downgrade", "base", env=data_env).returncode == 0
    assert run("db", "current", env=data_env).stdout.strip() == "base"


def test_db_upgrade_on_postgresql(postgres_database_url: str):
    env = {"NERVEGLIDE_DATABASE_URL": postgres_database_url}
    result = run("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout
    assert run("db", "current", env=env).stdout.strip() not in ("", "base")


def test_bad_database_url_is_a_clear_error():
    result = run("db", "upgrade", env={"NERVEGLIDE_DATABASE_URL": "mysql://x@y/z"})
    assert result.returncode == 2
    assert "NERVEGLIDE_DATABASE_URL" in result.stderr


def test_serve_refuses_an_unmigrated_database(data_env: dict[str, str]):
    result = run("serve", "--port", "8999", env=data_env)
    assert result.returncode == 2
    assert "nerveglide db upgrade" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_prints_its_url_and_serves_the_home_page(data_env: dict[str, str]):
    assert run("db", "upgrade", env=data_env).returncode == 0
    port = _free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "nerveglide", "serve", "--port", str(port)],
        env={**os.environ, **data_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert f"http://127.0.0.1:{port}" in first
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                        body = reply.read().decode()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            assert "Nerve glides for sciatica" in body
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_safety_rules_prints_every_rule_with_its_sources():
    from nerveglide.content.loader import default_rules

    result = run("safety", "rules", env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    for rule in default_rules().rules:
        assert rule.id in result.stdout
    assert "Henschke et al. 2013 (Cochrane)" in result.stdout
    assert "Operational reading" in result.stdout


def test_safety_status_reports_the_verdict_and_screening(data_env: dict[str, str]):
    assert run("safety", "status", env=data_env).returncode == 2  # not migrated yet
    assert run("db", "upgrade", env=data_env).returncode == 0
    result = run("safety", "status", env=data_env)
    assert result.returncode == 0, result.stderr
    assert "tier: ok" in result.stdout
    assert "safety questions due: yes" in result.stdout


def test_safety_set_changes_a_setting_within_its_bounds(data_env: dict[str, str]):
    assert run("db", "upgrade", env=data_env).returncode == 0
    result = run("safety", "set", "screen_interval_days", "14", env=data_env)
    assert result.returncode == 0, result.stderr
    assert "setting screen_interval_days = 14\n" in run("safety", "status", env=data_env).stdout
    refused = run("safety", "set", "screen_interval_days", "0", env=data_env)
    assert refused.returncode == 2
    assert "must be from 1 to 90" in refused.stderr
    unknown = run("safety", "set", "bedtime", "3", env=data_env)
    assert unknown.returncode == 2
    assert "unknown safety setting 'bedtime'" in unknown.stderr
    assert "setting screen_interval_days = 14\n" in run("safety", "status", env=data_env).stdout


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_serve_with_workers_runs_that_many_processes_on_one_port(data_env: dict[str, str]):
    assert run("db", "upgrade", env=data_env).returncode == 0
    port = _free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "nerveglide", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **data_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            assert f"http://127.0.0.1:{port} (2 processes)" in process.stdout.readline()
            deadline = time.monotonic() + 60
            listening: list[int] = []
            while len(listening) < 2:
                assert time.monotonic() < deadline, f"processes listening: {listening}"
                time.sleep(0.2)
                listening = [c for c in _children(process.pid) if _listens(c, port)]
            assert len(listening) == 2
            for _ in range(6):  # new connections, each taken by one process or the other
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.status == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
        assert process.returncode == 0
    refused = run("serve", "--port", str(port), "--workers", "0", env=data_env)
    assert refused.returncode == 2
    assert "--workers" in refused.stderr


def _listens(pid: int, port: int) -> bool:
    """Whether the process holds a socket listening on ``port`` (on any address)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(fields[9])
    try:
        links = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return any(link == f"socket:[{i}]" for i in inodes for link in links)
