#!/usr/bin/env bash
# Ensure a PostgreSQL server for the tests, on loopback, and print its URL.
#
#   url=$(scripts/test-postgres.sh | tail -n 1)
#   NERVEGLIDE_TEST_POSTGRES_URL=$url .venv/bin/pytest tests/integration/store
#
# If a server already answers on the port, it is reused. Otherwise Debian's PostgreSQL
# binaries are used (the highest version under /usr/lib/postgresql/*/bin, installed with
# apt-get when there are none), a throwaway cluster is created with trust authentication
# and started. Running it again reuses that server.
#
#   NERVEGLIDE_PG_DIR   data directory of the cluster   (default /tmp/nerveglide-pg)
#   NERVEGLIDE_PG_PORT  TCP port on 127.0.0.1           (default 55432)
#
# Progress goes to stderr; stdout gets only the URL, as its last line. Test data only:
# every local user may connect as the superuser without a password.
set -euo pipefail

PG_DIR=${NERVEGLIDE_PG_DIR:-/tmp/nerveglide-pg}
PG_PORT=${NERVEGLIDE_PG_PORT:-55432}
PG_HOST=127.0.0.1
PG_USER=postgres
URL="postgresql+psycopg://${PG_USER}@${PG_HOST}:${PG_PORT}/postgres"

say() { printf 'test-postgres: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

case $PG_PORT in
    '' | *[!0-9]*) die "NERVEGLIDE_PG_PORT must be a port number, not '$PG_PORT'" ;;
esac
case $PG_DIR in
    /*) ;;
    *) PG_DIR="$PWD/$PG_DIR" ;;
esac

# The bin directory of the highest installed Debian PostgreSQL, or nothing.
find_bindir() {
    local dirs=() d
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && dirs+=("$d")
    done
    ((${#dirs[@]})) || return 0
    printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

install_postgresql() {
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "PostgreSQL is not installed, and installing it needs root or sudo"
        sudo=(sudo)
    fi
    say "installing PostgreSQL with apt-get"
    # apt-get writes progress to stdout: keep stdout for the URL.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
}

answers() {
    "$BINDIR/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -t 3
}

# Run a command as the cluster's owner: initdb and postgres refuse to run as root.
as_owner() {
    if ((EUID == 0)); then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

BINDIR=$(find_bindir)
if [[ -z $BINDIR ]]; then
    if command -v pg_isready >/dev/null && pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3; then
        say "reusing the server on $PG_HOST:$PG_PORT"
        echo "$URL"
        exit 0
    fi
    install_postgresql
    BINDIR=$(find_bindir)
    [[ -n $BINDIR ]] || die "apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb was found"
fi

# One run at a time sets the cluster up (parallel test jobs may all call this).
mkdir -p "$(dirname "$PG_DIR")"
if command -v flock >/dev/null; then
    exec 9>"$PG_DIR.lock"
    flock -w 120 9 || die "timed out waiting for another run (lock $PG_DIR.lock)"
fi

if answers; then
    say "reusing the server on $PG_HOST:$PG_PORT"
    echo "$URL"
    exit 0
fi

if ((EUID == 0)); then
    id -u "$PG_USER" >/dev/null 2>&1 || die "no '$PG_USER' system user to run PostgreSQL as"
fi

if [[ ! -s $PG_DIR/PG_VERSION ]]; then
    if [[ -d $PG_DIR ]] && [[ -n $(ls -A "$PG_DIR") ]]; then
        die "$PG_DIR exists and is not an empty directory nor a PostgreSQL cluster"
    fi
    say "creating a cluster in $PG_DIR with $BINDIR/initdb"
    mkdir -p "$PG_DIR"
    chmod 700 "$PG_DIR"
    if ((EUID == 0)); then
        chown "$PG_USER:" "$PG_DIR"
    fi
    as_owner test -w "$PG_DIR" || die "$PG_DIR is not writable by $(as_owner id -un)"
    as_owner "$BINDIR/initdb" -D "$PG_DIR" -U "$PG_USER" --auth=trust \
        --encoding=UTF8 --locale=C --no-instructions >&2
    # Our settings live in their own file, rewritten on every start (below).
    printf "\ninclude_if_exists = 'nerveglide.conf'\n" | as_owner tee -a "$PG_DIR/postgresql.conf" >/dev/null
fi

if as_owner "$BINDIR/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    die "a server runs from $PG_DIR but does not answer on $PG_HOST:$PG_PORT; stop it with: $BINDIR/pg_ctl -D $PG_DIR stop"
fi

# Single quotes inside a postgresql.conf value are doubled.
sock_dir=${PG_DIR//\'/\'\'}
as_owner tee "$PG_DIR/nerveglide.conf" >/dev/null <<EOF
# Written by scripts/test-postgres.sh on every start.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$sock_dir'
fsync = on
EOF

say "starting PostgreSQL ($BINDIR) on $PG_HOST:$PG_PORT, log in $PG_DIR/postgres.log"
# 9>&-: the server must not inherit (and so hold forever) the lock.
if ! as_owner "$BINDIR/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/postgres.log" -w -t 60 start >&2 9>&-; then
    tail -n 20 "$PG_DIR/postgres.log" >&2 || true
    die "PostgreSQL did not start"
fi
answers || die "PostgreSQL started but does not answer on $PG_HOST:$PG_PORT"
echo "$URL"
