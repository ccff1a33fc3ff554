#!/usr/bin/env bash
# A private, throwaway PostgreSQL server for the test suite (not the system's cluster).
#
#   scripts/postgres.sh start     install postgresql if missing, create the cluster if missing,
#                                 start it unless running, wait until it accepts connections,
#                                 ensure role `registry` and its database `registry_test`
#   scripts/postgres.sh stop      stop it (nothing to do when it is not running)
#   scripts/postgres.sh status    say whether it runs; exit 0 if it accepts connections, else 3
#   scripts/postgres.sh url       print the SQLAlchemy URL of the test database
#   scripts/postgres.sh psql ...  psql on the test database (extra arguments go to psql)
#   scripts/postgres.sh destroy   stop it and delete its files
#
# Files: .pg/ in the repository (git-ignored): .pg/data (cluster), .pg/server.log, and the unix
# socket .pg/.s.PGSQL.<port>. It listens on 127.0.0.1 only, with trust authentication, on port
# 54329; when another server (another checkout's, say) holds that port at the first start, on the
# next free one from 54330, kept in .pg/port.
# Environment: REGISTRY_PG_PORT (a fixed port: refused when taken), REGISTRY_PG_DIR (default <repo>/.pg),
# REGISTRY_PG_TIMEOUT (seconds to wait for the server, default 60).
#
# PostgreSQL refuses to run as root: as root the cluster belongs to, and the server runs as, the
# `postgres` OS user (created by the Debian package); otherwise as the calling user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEFAULT_PORT=54329
PORT=${REGISTRY_PG_PORT:-$DEFAULT_PORT}
TIMEOUT=${REGISTRY_PG_TIMEOUT:-60}
DB=registry_test
ROLE=registry
set_url() { URL="postgresql+psycopg://$ROLE@127.0.0.1:$PORT/$DB"; }
set_url

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
    exit "${1:-2}"
}

[ "$#" -ge 1 ] || usage
cmd=$1
shift

if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
else
    OWNER=$(id -un)
fi

# Run a command as the cluster's owner, from a directory it can enter, without fd 8 (our lock):
# the server that pg_ctl leaves running would otherwise hold the lock for ever.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$OWNER" -- "$@") 8>&-
    else
        (cd / && "$@") 8>&-
    fi
}

# Where the cluster lives: PGROOT (data, log, socket). With CREATE=1 (start) it is made, and
# as root handed to the postgres user.
choose_dir() {
    local default=$ROOT/.pg fallback
    fallback=/tmp/registry-pg-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)
    if [ -n "${REGISTRY_PG_DIR:-}" ]; then
        PGROOT=$REGISTRY_PG_DIR
    elif [ "${CREATE:-0}" = 1 ]; then
        PGROOT=$default
        if [ "$(id -u)" -eq 0 ]; then
            id "$OWNER" >/dev/null 2>&1 || die "no OS user $OWNER (is the postgresql package installed?)"
            mkdir -p "$PGROOT"
            chown "$OWNER:" "$PGROOT"
            chmod 755 "$PGROOT"
            # The postgres user must reach the repository: a clone under a private directory
            # (e.g. /root) is out of its reach; then keep the cluster in /tmp, one per checkout.
            if ! as_owner test -w "$PGROOT" -a -x "$PGROOT"; then
                rm -rf "$PGROOT"
                PGROOT=$fallback
                log "user $OWNER cannot write inside $ROOT; using $PGROOT instead"
            fi
        fi
    elif [ ! -d "$default/data" ] && [ -d "$fallback/data" ]; then
        PGROOT=$fallback
    else
        PGROOT=$default
    fi
    if [ "${CREATE:-0}" = 1 ]; then
        mkdir -p "$PGROOT"
        if [ "$(id -u)" -eq 0 ]; then chown "$OWNER:" "$PGROOT"; fi
    fi
    DATA=$PGROOT/data
    LOGFILE=$PGROOT/server.log
    # the port this cluster was given at its first start (see free_port), unless one is imposed
    if [ -z "${REGISTRY_PG_PORT:-}" ] && [ -s "$PGROOT/port" ]; then
        PORT=$(cat "$PGROOT/port")
        set_url
    fi
    SOCKDIR=$PGROOT
    # A unix socket path may not exceed 107 bytes: use /tmp for a deep checkout.
    if [ "$(printf %s "$SOCKDIR/.s.PGSQL.$PORT" | wc -c)" -gt 100 ]; then
        SOCKDIR=/tmp/registry-pg-sock-$(printf %s "$PGROOT" | cksum | cut -d' ' -f1)
    fi
}

# Binaries of the newest installed major version, or of the version the cluster was made with.
find_bindir() {
    local v
    if [ -f "$DATA/PG_VERSION" ]; then
        v=$(cat "$DATA/PG_VERSION")
        if [ -x "/usr/lib/postgresql/$v/bin/postgres" ]; then
            BINDIR=/usr/lib/postgresql/$v/bin
            return
        fi
    fi
    BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$BINDIR" ] && [ -x "$BINDIR/postgres" ] \
        || die "no PostgreSQL server under /usr/lib/postgresql/<version>/bin"
}

ensure_installed() {
    "$ROOT/scripts/system-packages.sh" postgresql
}

# Running = postmaster.pid names a live postgres process. (Not `pg_ctl status`, which takes a
# live process of any kind, e.g. a reused PID after a restart, for the server.)
server_pid() {
    local pid
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
    # A killed server's zombie (where nothing reaps it) keeps its /proc entry: state Z.
    [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    echo "$pid"
}
running() { server_pid >/dev/null; }
# pg_isready: 0 accepting, 1 rejecting (e.g. starting up), 2 no response, 3 bad arguments.
ready() { "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; }

psql_admin() {
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PORT" -U postgres "$@"
}

init_cluster() {
    if [ -f "$DATA/PG_VERSION" ] && [ ! -x "/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin/postgres" ]; then
        log "cluster in $DATA is from PostgreSQL $(cat "$DATA/PG_VERSION"), which is not installed: recreating it"
        rm -rf "$DATA"
    fi
    [ -f "$DATA/PG_VERSION" ] && return
    rm -rf "$DATA"   # a half-made cluster from an interrupted initdb
    local locale=C.UTF-8
    locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8' || locale=C
    log "initdb $DATA (PostgreSQL $(basename "$(dirname "$BINDIR")"))"
    # Trust authentication for local and loopback connections: a throwaway cluster that only
    # listens on 127.0.0.1 and its own socket. The superuser is `postgres` whoever runs it.
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
        --locale="$locale" --no-instructions --no-sync >"$PGROOT/initdb.log" 2>&1 \
        || { cat "$PGROOT/initdb.log" >&2; die "initdb failed"; }
    as_owner tee -a "$DATA/postgresql.conf" >/dev/null <<'EOF'

# --- Throwaway test cluster (scripts/postgres.sh) ---
# The data are recreated at will, so durability buys nothing: without fsync (and with
# asynchronous commits, no full-page writes) the tests' many small transactions and
# CREATE/DROP DATABASE don't wait for the disk. A crash of the machine may corrupt the cluster;
# `scripts/postgres.sh destroy` and start again.
fsync = off
synchronous_commit = off
full_page_writes = off
# Listening address, port and socket: rewritten by every `start`.
include = 'registry.conf'
EOF
}

write_runtime_conf() {
    as_owner tee "$DATA/registry.conf" >/dev/null <<EOF
# Written by scripts/postgres.sh start: do not edit.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKDIR'
EOF
}

ensure_database() {
    local sql
    sql="SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'"
    if [ -z "$(psql_admin -d postgres -tAc "$sql")" ]; then
        # CREATEDB lets tests make a database per worker (pytest-xdist) if they want to.
        psql_admin -d postgres -c "CREATE ROLE $ROLE LOGIN CREATEDB"
    fi
    sql="SELECT 1 FROM pg_database WHERE datname = '$DB'"
    if [ -z "$(psql_admin -d postgres -tAc "$sql")" ]; then
        psql_admin -d postgres -c "CREATE DATABASE $DB OWNER $ROLE"
    fi
}

wait_ready() {
    local deadline=$((SECONDS + TIMEOUT))
    until ready; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 20 "$LOGFILE" >&2 2>/dev/null || true
            die "server on 127.0.0.1:$PORT not accepting connections after ${TIMEOUT}s (log: $LOGFILE)"
        fi
        sleep 0.2
    done
}

# Whether anything listens on 127.0.0.1:$1 (a PostgreSQL server or any other program).
port_taken() {
    local rc=0
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$1" -t 2 || rc=$?
    [ "$rc" -ne 2 ] && return 0
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Our port is taken by a server we don't own (it would take our tests' connections). With a port
# imposed by REGISTRY_PG_PORT, refuse; else move this cluster to the next free port, for good.
free_port() {
    port_taken "$PORT" || return 0
    [ -z "${REGISTRY_PG_PORT:-}" ] || die "another server answers on 127.0.0.1:$PORT; stop it or set another REGISTRY_PG_PORT"
    local candidate
    for candidate in $(seq $((DEFAULT_PORT + 1)) $((DEFAULT_PORT + 50))); do
        if ! port_taken "$candidate"; then
            log "127.0.0.1:$PORT is taken by another server; this cluster uses $candidate"
            PORT=$candidate
            set_url
            echo "$PORT" >"$PGROOT/port"
            return 0
        fi
    done
    die "ports $DEFAULT_PORT-$((DEFAULT_PORT + 50)) are all taken; set REGISTRY_PG_PORT"
}

start() {
    ensure_installed
    CREATE=1 choose_dir
    # One start/stop at a time for this cluster.
    exec 8>>"$PGROOT/.lock"
    flock -w "$((TIMEOUT + 30))" 8 || die "another postgres.sh holds $PGROOT/.lock"
    find_bindir
    init_cluster
    find_bindir
    if running; then
        log "already running ($DATA)"
    else
        free_port
        rm -f "$DATA/postmaster.pid"   # stale, from a server that died (see server_pid)
        mkdir -p "$SOCKDIR"
        touch "$LOGFILE"
        if [ "$(id -u)" -eq 0 ]; then chown "$OWNER:" "$SOCKDIR" "$LOGFILE"; fi
        write_runtime_conf
        log "starting on 127.0.0.1:$PORT ($DATA)"
        if ! as_owner "$BINDIR/pg_ctl" start -D "$DATA" -l "$LOGFILE" -w -t "$TIMEOUT" -s; then
            tail -n 20 "$LOGFILE" >&2 || true
            die "pg_ctl start failed (log: $LOGFILE)"
        fi
    fi
    wait_ready
    ensure_database
    log "ready: $URL"
}

stop() {
    choose_dir
    [ -f "$DATA/PG_VERSION" ] || { log "no cluster in $DATA"; return 0; }
    exec 8>>"$PGROOT/.lock"
    flock -w "$((TIMEOUT + 30))" 8 || die "another postgres.sh holds $PGROOT/.lock"
    find_bindir
    if running; then
        as_owner "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t "$TIMEOUT" -s
        log "stopped"
    else
        log "not running"
    fi
}

status() {
    choose_dir
    if [ ! -f "$DATA/PG_VERSION" ]; then
        echo "no cluster in $DATA"
        return 3
    fi
    find_bindir
    if running && ready; then
        echo "running: $URL (data: $DATA, pid $(server_pid))"
    elif running; then
        echo "running but not accepting connections on 127.0.0.1:$PORT (data: $DATA)"
        return 3
    else
        echo "not running (data: $DATA)"
        return 3
    fi
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url)
        choose_dir
        echo "$URL"
        ;;
    psql)
        choose_dir
        find_bindir
        exec "$BINDIR/psql" -h "$SOCKDIR" -p "$PORT" -U "$ROLE" -d "$DB" "$@"
        ;;
    destroy)
        stop
        log "removing $PGROOT"
        rm -rf "$PGROOT"
        ;;
    -h|--help|help) usage 0 ;;
    *) usage ;;
esac
