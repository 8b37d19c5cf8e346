"""``scripts/cluster.py`` (``make cluster``) on a PostgreSQL database it is given: one
instance, the given server left running when the cluster stops; nginx passes on the
address it saw, not one the client made up; bad settings are refused with the variable
named."""

from __future__ import annotations

import subprocess
import sys

import psycopg

from tests.cluster import REPO, SCRIPT, alive, running_cluster, shared_tmp_dir
from tests.integration.cluster.conftest import Api


def test_a_cluster_on_a_given_database_leaves_that_server_alone(postgres_database_url: str):
    with running_cluster(instances=1, NERVEGLIDE_CLUSTER_DATABASE_URL=postgres_database_url) as c:
        assert c.state["postgres"] == {"ours": False}
        assert c.database_url == postgres_database_url
        assert list(c.instances()) == ["app-1"]
        status = c.script("status")
        assert status.returncode == 0, status.stdout
        assert "app-1: running" in status.stdout
        assert "app-2" not in status.stdout

        visitor = Api(c.url, "", "")
        answer = visitor.request("GET", "/readyz", X_Forwarded_For="203.0.113.5")
        visitor.close()
        assert answer.status == 200
        line = c.log_line_for("app-1", answer.headers["x-request-id"])
        assert line["client"] == "127.0.0.1"  # what nginx saw, not what the client claimed
        pids = [c.pid(name) for name in ("nginx", "app-1", "worker", "mail")]
    # Stopped: its processes are gone, the server it was given still answers.
    assert not [pid for pid in pids if alive(pid)]
    dsn = postgres_database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as connection:
        assert connection.execute("SELECT count(*) FROM account").fetchone() is not None


def test_bad_settings_are_refused_with_the_variable_named():
    run = shared_tmp_dir("nerveglide-cluster-bad-")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "start"],
        env={"PATH": "/usr/bin:/bin", "NERVEGLIDE_CLUSTER_DIR": str(run),
             "NERVEGLIDE_CLUSTER_INSTANCES": "0"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    run.rmdir()
    assert result.returncode == 1
    assert "NERVEGLIDE_CLUSTER_INSTANCES must be a whole number from 1 to 16, not '0'" in (
        result.stderr
    )
    usage = subprocess.run(
        [sys.executable, str(SCRIPT), "restart"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2
    assert "make cluster" in usage.stderr
