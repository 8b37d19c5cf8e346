"""A nerveglide cluster on loopback, for a try-out and for the tests: PostgreSQL, N app
instances (``nerveglide serve``), the reminder worker, a mail catcher and Debian's nginx
in front, load-balancing the instances (WebSocket included) with X-Forwarded-* headers.

    python scripts/cluster.py start     # (make cluster) start what is not running; print the URL
    python scripts/cluster.py stop      # (make cluster-stop) stop everything it started
    python scripts/cluster.py status    # what runs, with process ids

Settings (environment):

    NERVEGLIDE_CLUSTER_DIR            the run directory (./var/cluster): nginx.conf, state.json,
                                      env, secret_key, logs/, data/ (the instances' shared
                                      NERVEGLIDE_DATA_DIR) and pg/ (the local PostgreSQL)
    NERVEGLIDE_CLUSTER_INSTANCES      how many app instances (2)
    NERVEGLIDE_CLUSTER_PORT           nginx's port on 127.0.0.1 (8080); the instances take the
                                      next N ports, the mail catcher the one after
    NERVEGLIDE_CLUSTER_DATABASE_URL   a PostgreSQL database to use; unset: a local server is
                                      started in the run directory (as scripts/test-postgres.sh
                                      does: trust authentication, for a try-out only)
    NERVEGLIDE_CLUSTER_PG_PORT        that local server's port (55480)

Other ``NERVEGLIDE_*`` variables are passed on to the instances and the worker (a mail
server given in NERVEGLIDE_SMTP_HOST replaces the mail catcher). Every process is started
in a session of its own, its output in ``logs/``; ``state.json`` records what was started,
and ``stop`` ends only those processes (checking each process id still runs the command it
started), then the local PostgreSQL.

Only the standard library and the packages of nerveglide's virtual environment are used;
run it with that environment's Python (the Makefile does).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
#: Seconds to wait for a process to be ready, and for one to stop after SIGTERM.
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
#: A request id as the app accepts it (nerveglide.web.request_log.REQUEST_ID); nginx
#: makes a new one for anything else, so nginx's log and the app's agree.
REQUEST_ID_PATTERN = "^[A-Za-z0-9._:-]{1,128}$"


class ClusterError(Exception):
    pass


def say(message: str) -> None:
    """Progress, on stderr."""
    sys.stderr.write(f"cluster: {message}\n")
    sys.stderr.flush()


def out(line: str) -> None:
    """A result (the URL, the status), on stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Config:
    run: Path
    instances: int
    port: int
    database_url: str | None
    pg_port: int

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Config:
        def number(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip() or str(default)
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise ClusterError(
                    f"{name} must be a whole number from {low} to {high}, not {raw!r}"
                )
            return int(raw)

        run = Path(env.get("NERVEGLIDE_CLUSTER_DIR", "").strip() or "var/cluster")
        return cls(
            run=run.expanduser().absolute(),
            instances=number("NERVEGLIDE_CLUSTER_INSTANCES", 2, 1, 16),
            port=number("NERVEGLIDE_CLUSTER_PORT", 8080, 1024, 65000),
            database_url=env.get("NERVEGLIDE_CLUSTER_DATABASE_URL", "").strip() or None,
            pg_port=number("NERVEGLIDE_CLUSTER_PG_PORT", 55480, 1024, 65535),
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def instance_ports(self) -> list[int]:
        return [self.port + i for i in range(1, self.instances + 1)]

    @property
    def mail_port(self) -> int:
        return self.port + self.instances + 1

    @property
    def logs(self) -> Path:
        return self.run / "logs"

    @property
    def state_file(self) -> Path:
        return self.run / "state.json"


# --- processes ----------------------------------------------------------------------------


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def started_at(pid: int) -> str | None:
    """When the process ``pid`` started, as this boot's id and its start time in clock
    ticks: what tells it from a later process given the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return f"{boot}:{stat.rsplit(')', 1)[1].split()[19]}"
    except (OSError, IndexError):
        return None


def runs(entry: dict[str, Any] | None) -> bool:
    """Is the process of a state entry alive, and the one that was started?"""
    if not entry or not entry.get("pid"):
        return False
    if not Path(f"/proc/{entry['pid']}").exists():
        return False
    try:  # a zombie child of ours (the tests start the cluster from their own process)
        stat = Path(f"/proc/{entry['pid']}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        return False
    if entry.get("started"):
        # Not its command line: nginx rewrites its own ("nginx: master process ...") as it
        # starts, and one read in the middle of that took a starting nginx for gone.
        return started_at(int(entry["pid"])) == str(entry["started"])
    # A state file from before start times were kept.
    return " ".join(entry["argv"]) in " ".join(cmdline(int(entry["pid"])))


def spawn(argv: list[str], log: Path, env: dict[str, str]) -> dict[str, Any]:
    """Start ``argv`` in a session of its own, its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
    return {"pid": process.pid, "argv": argv, "log": str(log), "started": started_at(process.pid)}


def end(name: str, entry: dict[str, Any] | None) -> None:
    """SIGTERM a process we started, then SIGKILL it if it is still there after a while."""
    if not runs(entry):
        return
    assert entry is not None
    pid = int(entry["pid"])
    say(f"stopping {name} (pid {pid})")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not runs(entry):
            return
        time.sleep(0.1)
    say(f"{name} (pid {pid}) did not stop in {STOP_TIMEOUT_S:g} s: SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


def wait_ready(name: str, url: str, entry: dict[str, Any]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if http_status(url) == 200:
            return
        if not runs(entry):
            raise ClusterError(f"{name} exited while starting: see {entry['log']}")
        time.sleep(0.2)
    raise ClusterError(
        f"{name} was not ready at {url} after {READY_TIMEOUT_S:g} s: see {entry['log']}"
    )


# --- PostgreSQL ---------------------------------------------------------------------------


def pg_bindir() -> Path | None:
    found = sorted(
        (d for d in Path("/usr/lib/postgresql").glob("*/bin") if (d / "pg_ctl").exists()),
        key=lambda d: [int(p) if p.isdigit() else p for p in d.parent.name.split(".")],
    )
    return found[-1] if found else None


def as_owner(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def local_postgres(config: Config) -> tuple[str, bool]:
    """The local server's URL (started if needed, by scripts/test-postgres.sh), and whether
    it runs from our run directory (so that stop stops it)."""
    pg_dir = config.run / "pg"
    env = {
        **os.environ,
        "NERVEGLIDE_PG_DIR": str(pg_dir),
        "NERVEGLIDE_PG_PORT": str(config.pg_port),
    }
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "test-postgres.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise ClusterError(f"PostgreSQL did not start:\n{result.stderr.strip()}")
    server_url = result.stdout.strip().splitlines()[-1]
    ours = (pg_dir / "postmaster.pid").exists()
    return ensure_database(server_url, "nerveglide"), ours


def ensure_database(server_url: str, name: str) -> str:
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def stop_postgres(config: Config, state: dict[str, Any]) -> None:
    pg = state.get("postgres") or {}
    bindir = pg_bindir()
    if not pg.get("ours") or bindir is None:
        return
    pg_dir = Path(pg["dir"])
    if not (pg_dir / "postmaster.pid").exists():
        return
    say(f"stopping PostgreSQL ({pg_dir})")
    subprocess.run(
        as_owner(
            [str(bindir / "pg_ctl"), "-D", str(pg_dir), "stop", "-m", "fast", "-w", "-t", "60"]
        ),
        capture_output=True,
        timeout=90,
    )


# --- nginx --------------------------------------------------------------------------------


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise ClusterError("nginx is not installed: run `make system-deps` (Debian's nginx)")
    return found


def nginx_conf(config: Config, max_body_mb: int) -> str:
    run = config.run
    servers = "\n".join(
        f"        server {HOST}:{port} max_fails=1 fail_timeout=5s;"
        for port in config.instance_ports()
    )
    user = "user www-data;\n" if os.geteuid() == 0 else ""
    # proxy_set_header is inherited only by blocks that set none: every location sets all.
    # nginx is the edge: the client's address is the one it saw ($remote_addr), never an
    # X-Forwarded-For the client made up (behind another proxy of yours, append instead).
    headers = """
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Request-ID $nerveglide_request_id;"""
    unavailable = (
        '{"error":503,"detail":"nerveglide is not answering just now: try again in a few seconds."}'
    )
    return f"""# Written by scripts/cluster.py at each start: nginx in front of {config.instances}
# nerveglide instances. Run as an ordinary process (daemon off) with this file alone; no
# system-wide configuration is read or changed.
{user}worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/logs/nginx-error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    # The request id the app accepts, or nginx's own: passed on, logged, returned.
    map $http_x_request_id $nerveglide_request_id {{
        "~{REQUEST_ID_PATTERN}" $http_x_request_id;
        default $request_id;
    }}
    # A calendar address's path is its secret: never logged as sent.
    map $uri $nerveglide_log_path {{
        "~^/reminders/calendar/" "/reminders/calendar/{{name}}";
        default $uri;
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" "";
    }}
    log_format nerveglide_json escape=json '{{"time":"$time_iso8601","level":"info",'
        '"logger":"nginx","message":"request","request_id":"$nerveglide_request_id",'
        '"method":"$request_method","path":"$nerveglide_log_path","status":$status,'
        '"duration_s":$request_time,"client":"$remote_addr","upstream":"$upstream_addr",'
        '"upstream_status":"$upstream_status"}}';
    access_log {run}/logs/nginx-access.log nerveglide_json;

    client_body_temp_path {run}/nginx/client_body;
    proxy_temp_path {run}/nginx/proxy;
    fastcgi_temp_path {run}/nginx/fastcgi;
    uwsgi_temp_path {run}/nginx/uwsgi;
    scgi_temp_path {run}/nginx/scgi;
    client_max_body_size {max_body_mb}m;
    client_body_buffer_size 1m;
    server_tokens off;
    default_type application/octet-stream;

    upstream nerveglide {{
{servers}
        keepalive 16;
    }}

    server {{
        listen {HOST}:{config.port};
        server_name _;

        proxy_http_version 1.1;
        proxy_connect_timeout 2s;
        proxy_read_timeout 120s;
        # An instance that fails to connect, or dies before answering, is skipped: the
        # request goes to the next one (never a POST that reached it: only idempotent
        # methods, e.g. a repetition's PUT, are sent twice).
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries {config.instances};
        proxy_hide_header X-Request-ID;
        add_header X-Request-ID $nerveglide_request_id always;
        # No instance answers at all: a 503 that says when to try again, not a 502.
        error_page 502 504 =503 @unavailable;

        location / {{{headers}
            proxy_set_header Connection "";
            proxy_pass http://nerveglide;
        }}

        # The live coach: a WebSocket per session, kept open while the camera runs.
        location = /ws/coach {{{headers}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            proxy_pass http://nerveglide;
        }}

        # Uploads (session videos, videos to analyse) stream on to the instance.
        location ~ ^/(analysis|api/sessions/[^/]+/recordings)$ {{{headers}
            proxy_set_header Connection "";
            proxy_request_buffering off;
            proxy_pass http://nerveglide;
        }}

        location @unavailable {{
            default_type application/json;
            add_header Retry-After 2 always;
            add_header X-Request-ID $nerveglide_request_id always;
            return 503 '{unavailable}';
        }}
    }}
}}
"""


# --- the cluster --------------------------------------------------------------------------


def load_state(config: Config) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(config.state_file.read_text())
        return loaded
    except (OSError, ValueError):
        return {}


def save_state(config: Config, state: dict[str, Any]) -> None:
    tmp = config.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(config.state_file)


def secret_key_file(config: Config) -> Path:
    """One signing secret for every instance (a random one per process would differ)."""
    path = config.run / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
    return path


def app_env(config: Config, state: dict[str, Any]) -> dict[str, str]:
    """What every instance and the worker get (on top of the caller's environment)."""
    env = {
        "NERVEGLIDE_ENV": "prod",
        "NERVEGLIDE_DATABASE_URL": state["database_url"],
        "NERVEGLIDE_DATA_DIR": str(config.run / "data"),
        "NERVEGLIDE_SECRET_KEY_FILE": str(secret_key_file(config)),
        "NERVEGLIDE_PUBLIC_URL": config.url,
        # nginx, on this machine, is the one proxy whose X-Forwarded-* is believed.
        "NERVEGLIDE_TRUSTED_PROXIES": HOST,
        "NERVEGLIDE_LOG_FORMAT": "json",
    }
    if not os.environ.get("NERVEGLIDE_SMTP_HOST"):
        env.update(
            {
                "NERVEGLIDE_SMTP_HOST": HOST,
                "NERVEGLIDE_SMTP_PORT": str(config.mail_port),
                "NERVEGLIDE_SMTP_STARTTLS": "false",
                "NERVEGLIDE_SMTP_SSL": "false",
            }
        )
    return env


def write_env_file(config: Config, env: dict[str, str]) -> None:
    """``. var/cluster/env`` gives the nerveglide command the cluster's database."""
    keep = ("NERVEGLIDE_DATABASE_URL", "NERVEGLIDE_DATA_DIR", "NERVEGLIDE_SECRET_KEY_FILE",
            "NERVEGLIDE_PUBLIC_URL", "NERVEGLIDE_ENV", "NERVEGLIDE_SMTP_HOST",
            "NERVEGLIDE_SMTP_PORT", "NERVEGLIDE_SMTP_STARTTLS", "NERVEGLIDE_SMTP_SSL")  # fmt: skip
    lines = ["# Written by scripts/cluster.py: the cluster's settings for the nerveglide command."]
    lines += [f"export {k}='{env[k]}'" for k in keep if k in env]
    lines.append(f"export NERVEGLIDE_CLUSTER_URL='{config.url}'")
    (config.run / "env").write_text("\n".join(lines) + "\n")


def nerveglide(*args: str) -> list[str]:
    return [sys.executable, "-m", "nerveglide", *args]


def start(config: Config) -> None:
    for sub in ("logs", "data", "nginx"):
        (config.run / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(config.run, 0o755)  # nginx's workers (www-data when run as root) pass through
    state = load_state(config)
    changed = state.get("port") not in (None, config.port) or state.get("instances") not in (
        None,
        config.instances,
    )
    if changed and any(runs(e) for e in processes(state).values()):
        raise ClusterError(
            f"a cluster with other settings runs from {config.run}: `make cluster-stop` first"
        )
    state.update({"port": config.port, "instances": config.instances, "url": config.url})

    if config.database_url:
        state["database_url"] = config.database_url
        state["postgres"] = {"ours": False}
    else:
        url, ours = local_postgres(config)
        state["database_url"] = url
        state["postgres"] = {"ours": ours, "dir": str(config.run / "pg"), "port": config.pg_port}
    save_state(config, state)

    env = {**os.environ, **app_env(config, state)}
    write_env_file(config, env)
    migrated = subprocess.run(
        nerveglide("db", "upgrade"), env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    if migrated.returncode != 0:
        raise ClusterError(f"the migration failed:\n{migrated.stderr.strip()}")

    if "NERVEGLIDE_SMTP_HOST" not in os.environ and not runs(state.get("mail")):
        # The reminders and other emails land here: logs/mail.log.
        state["mail"] = spawn(
            # -u: each message is in the log as soon as it arrives (not when a buffer fills).
            [sys.executable, "-u", "-m", "aiosmtpd", "-n", "-l", f"{HOST}:{config.mail_port}"],
            config.logs / "mail.log",
            env,
        )
        save_state(config, state)

    instances = state.setdefault("app", {})
    for index, port in enumerate(config.instance_ports(), start=1):
        name = f"app-{index}"
        if runs(instances.get(name)):
            continue
        say(f"starting {name} on {HOST}:{port}")
        instances[name] = {
            **spawn(
                nerveglide("serve", "--host", HOST, "--port", str(port)),
                config.logs / f"{name}.log",
                env,
            ),
            "port": port,
        }
        save_state(config, state)
    for name, entry in instances.items():
        wait_ready(name, f"http://{HOST}:{entry['port']}/readyz", entry)

    if not runs(state.get("worker")):
        say("starting the reminder worker")
        state["worker"] = spawn(nerveglide("worker"), config.logs / "worker.log", env)
        save_state(config, state)

    if not runs(state.get("nginx")):
        binary = nginx_binary()
        conf = config.run / "nginx.conf"
        max_mb = int(env.get("NERVEGLIDE_RECORDING_MAX_MB", "500") or 500) + 1
        conf.write_text(nginx_conf(config, max_mb))
        argv = [
            binary,
            "-p",
            str(config.run),
            "-c",
            str(conf),
            "-e",
            str(config.logs / "nginx-error.log"),
        ]
        tested = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=30)
        if tested.returncode != 0:
            raise ClusterError(f"nginx refused its configuration:\n{tested.stderr.strip()}")
        say(f"starting nginx on {config.url}")
        state["nginx"] = spawn(argv, config.logs / "nginx.log", env)
        save_state(config, state)
    wait_ready("nginx", f"{config.url}/readyz", state["nginx"])
    out(f"nerveglide cluster is running at {config.url}")


def processes(state: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    found: dict[str, dict[str, Any] | None] = {"nginx": state.get("nginx")}
    found.update(state.get("app", {}))
    found["worker"] = state.get("worker")
    found["mail"] = state.get("mail")
    return found


def stop(config: Config) -> None:
    state = load_state(config)
    if not state:
        say(f"nothing to stop in {config.run}")
        return
    # The front first (no new requests), the instances, then what they use.
    for name, entry in processes(state).items():
        end(name, entry)
    stop_postgres(config, state)
    config.state_file.unlink(missing_ok=True)
    out("nerveglide cluster stopped")


def status(config: Config) -> int:
    state = load_state(config)
    if not state:
        out(f"no cluster in {config.run}")
        return 1
    out(f"url: {state.get('url')}")
    alive = True
    for name, entry in processes(state).items():
        if entry is None:
            continue
        up = runs(entry)
        alive &= up
        out(f"{name}: {'running, pid ' + str(entry['pid']) if up else 'not running'}")
    return 0 if alive else 1


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("start", "stop", "status"):
        sys.stderr.write(__doc__ or "")
        return 2
    try:
        config = Config.from_env(dict(os.environ))
        if argv[0] == "start":
            start(config)
        elif argv[0] == "stop":
            stop(config)
        else:
            return status(config)
    except ClusterError as exc:
        say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
