"""A nerveglide cluster for the tests (``scripts/cluster.py``: PostgreSQL, app instances,
the worker, nginx, on loopback ports 18400-18499), and what the fault tests do to it:
kill an instance, stop and start PostgreSQL, read the logs, query the database.

:func:`running_cluster` starts one in a run directory of its own and always stops every
process it started, and removes the directory, even when the test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "cluster.py"
#: The ports the cluster tests may use.
PORTS = range(18400, 18500)
#: Seconds ``cluster.py start`` and ``stop`` may take.
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 120


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports in :data:`PORTS`."""
    for base in range(PORTS.start, PORTS.stop - count + 1, count):
        if all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports in {PORTS.start}-{PORTS.stop - 1}")


def cluster_env(run: Path, instances: int, **extra: str) -> dict[str, str]:
    """The environment ``make cluster`` gets: ports from :data:`PORTS`, the run directory."""
    base = free_ports(instances + 3)  # nginx, the instances, the mail catcher, PostgreSQL
    # As from a plain shell: no settings of ours, and none of an enclosing make's own
    # variables (`make test` runs the tests; a nested `make cluster` would otherwise print
    # "make[1]: Leaving directory ..." after the README's last line).
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("NERVEGLIDE_") or k.startswith("NERVEGLIDE_TEST"))
        and k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")
    }
    env.update(
        {
            "NERVEGLIDE_CLUSTER_DIR": str(run),
            "NERVEGLIDE_CLUSTER_INSTANCES": str(instances),
            "NERVEGLIDE_CLUSTER_PORT": str(base),
            "NERVEGLIDE_CLUSTER_PG_PORT": str(base + instances + 2),
            **extra,
        }
    )
    return env


def shared_tmp_dir(prefix: str) -> Path:
    """A new directory under /tmp that PostgreSQL's and nginx's users can pass through
    (pytest's own tmp_path is private to the user running the tests)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def alive(pid: int) -> bool:
    """Is the process running (not gone, not a zombie)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class Cluster:
    run: Path
    env: dict[str, str]

    # -- the script ------------------------------------------------------------------------

    def script(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPT), command],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S if command == "start" else STOP_TIMEOUT_S,
        )

    def start(self) -> None:
        """Start (or start again) whatever of the cluster is not running."""
        result = self.script("start")
        if result.returncode != 0:
            raise RuntimeError(f"cluster.py start failed:\n{result.stderr}\n{self.logs_tail()}")

    def stop(self) -> None:
        """Stop everything, and SIGKILL whatever of ours is still there after that."""
        state = self.state
        try:
            self.script("stop")
        finally:
            for entry in self._processes(state).values():
                if entry and alive(int(entry["pid"])):
                    os.kill(int(entry["pid"]), signal.SIGKILL)

    # -- what runs -------------------------------------------------------------------------

    @property
    def state(self) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = json.loads((self.run / "state.json").read_text())
        except (OSError, ValueError):
            return {}
        return loaded

    @staticmethod
    def _processes(state: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
        found = {name: state.get(name) for name in ("nginx", "worker", "mail")}
        found.update(state.get("app", {}))
        return found

    @property
    def url(self) -> str:
        return str(self.state["url"])

    @property
    def database_url(self) -> str:
        return str(self.state["database_url"])

    def instances(self) -> dict[str, dict[str, Any]]:
        return dict(self.state["app"])

    def pid(self, name: str) -> int:
        entry = self._processes(self.state)[name]
        assert entry is not None, name
        return int(entry["pid"])

    def alive(self, name: str) -> bool:
        return alive(self.pid(name))

    def kill(self, name: str) -> None:
        """SIGKILL an app instance (or another of the cluster's processes)."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid), f"{name} (pid {pid}) survived SIGKILL"

    def instance_holding(self, local_port: int) -> str:
        """The app instance whose process holds the TCP connection from ``local_port``."""
        inode = _socket_inode(local_port)
        for name in self.instances():
            pid = self.pid(name)
            try:
                links = [os.readlink(p) for p in Path(f"/proc/{pid}/fd").iterdir()]
            except OSError:
                continue
            if f"socket:[{inode}]" in links:
                return name
        raise AssertionError(f"no app instance holds the connection from port {local_port}")

    # -- PostgreSQL ------------------------------------------------------------------------

    def pg_ctl(self, *args: str) -> None:
        pg = self.state["postgres"]
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].parent
        argv = [str(bindir / "pg_ctl"), "-D", pg["dir"], *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def stop_postgres(self) -> None:
        self.pg_ctl("stop", "-m", "fast", "-w", "-t", "60")

    def start_postgres(self) -> None:
        log = str(Path(self.state["postgres"]["dir"]) / "postgres.log")
        self.pg_ctl("start", "-w", "-t", "60", "-l", log)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        dsn = self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, connect_timeout=10) as connection:
            return list(connection.execute(query, params).fetchall())

    # -- logs ------------------------------------------------------------------------------

    def log_lines(self, name: str) -> list[dict[str, Any]]:
        """The JSON lines of a process's log (``nginx-access`` for nginx's access log)
        written so far: a last line without its newline is still being written (nginx
        writes its access line after the response has gone: CI read one half-written)."""
        lines = []
        text = (self.run / "logs" / f"{name}.log").read_text(errors="replace")
        *whole, _partial = text.split("\n")
        for raw in whole:
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        return lines

    def log_line_for(self, name: str, request_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The one line of a process's log for a request. A server writes it after the
        response has gone, so it is waited for; more than one line is an error."""
        deadline = time.monotonic() + timeout
        while True:
            found = [x for x in self.log_lines(name) if x.get("request_id") == request_id]
            if len(found) > 1:
                raise AssertionError(f"{len(found)} lines in {name}.log for request {request_id}")
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no line in {name}.log for request {request_id}")
            time.sleep(0.05)

    def logs_tail(self, lines: int = 15) -> str:
        parts = []
        for log in sorted((self.run / "logs").glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(parts)


def _socket_inode(local_port: int) -> str:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                return fields[9]
    raise AssertionError(f"no TCP connection from port {local_port}")


@contextmanager
def running_cluster(instances: int = 2, **extra_env: str) -> Iterator[Cluster]:
    """A started cluster, stopped (and its directory removed) afterwards whatever happens."""
    root = shared_tmp_dir("nerveglide-cluster-")
    cluster = Cluster(root / "run", cluster_env(root / "run", instances, **extra_env))
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
