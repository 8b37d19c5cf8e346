"""``nerveglide admin``: the first admin from a shell (password asked twice, or from the
environment), a weak password refused with exit code 2 and nothing saved; commands that
act for a patient need ``--patient`` once there are several."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.accounts import PASSWORD, add_account
from tests.integration.cli.test_cli import data_env, run

__all__ = ["data_env"]


def test_admin_create_then_list(data_env):
    assert run("db", "upgrade", env=data_env).returncode == 0
    created = subprocess.run(
        [sys.executable, "-m", "nerveglide", "admin", "create", "--email", "Boss@Example.org"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **data_env},
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "admin account boss@example.org created" in created.stdout
    listed = run("admin", "list", env=data_env)
    assert listed.stdout.split() == ["1", "admin", "boss@example.org", "active"]
    again = run(
        "admin",
        "create",
        "--email",
        "boss@example.org",
        env={**data_env, "NERVEGLIDE_ADMIN_PASSWORD": PASSWORD},
    )
    assert again.returncode == 2
    assert "already an account" in again.stderr + again.stdout


def test_a_common_password_is_refused_and_nothing_saved(data_env):
    assert run("db", "upgrade", env=data_env).returncode == 0
    weak = run(
        "admin", "create", "--email", "a@example.org",
        env={**data_env, "NERVEGLIDE_ADMIN_PASSWORD": "password123"},
    )  # fmt: skip
    assert weak.returncode == 2
    assert "commonly used" in weak.stderr + weak.stdout
    assert run("admin", "list", env=data_env).stdout.strip() == ""


def test_patient_commands_need_patient_when_there_are_several(data_env, tmp_path):
    assert run("db", "upgrade", env=data_env).returncode == 0
    url = f"sqlite:///{tmp_path / 'data' / 'nerveglide.db'}"
    add_account(url, "one@example.org")
    alone = run("safety", "status", env=data_env)
    assert alone.returncode == 0, alone.stderr
    add_account(url, "two@example.org")
    several = run("safety", "status", env=data_env)
    assert several.returncode == 2
    assert "--patient EMAIL" in several.stderr + several.stdout
    chosen = run(
        "safety", "set", "screen_interval_days", "10", "--patient", "two@example.org", env=data_env
    )
    assert chosen.returncode == 0, chosen.stderr
    mine = run("safety", "status", "--patient", "two@example.org", env=data_env).stdout
    theirs = run("safety", "status", "--patient", "one@example.org", env=data_env).stdout
    assert "screen_interval_days = 10" in mine
    assert "screen_interval_days = 10" not in theirs
    unknown = run("safety", "status", "--patient", "nobody@example.org", env=data_env)
    assert unknown.returncode == 2
