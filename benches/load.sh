#!/usr/bin/env bash
# The API and the pages under load: the release binary's demo, on SQLite then on
# PostgreSQL, driven by `wrk` (Debian's package, installed when missing) with 2 threads
# and 32 connections. Several callers log in (the demo's two and more accounts made with
# `lien users add` for callers of this week's plan), each with their own session
# cookie; every request carries one of them in turn (benches/load.lua). Routes:
#   GET /health (the reference: each route's ratio to it, same run), GET /static/lien.css
#   (the server's ceiling, no database: how fast this machine is this minute, to set
#   beside the issue's 49,930 req/s), GET /api/me/queue,
#   GET /appels, POST /api/calls (a callback tomorrow on one of the caller's open
#   assignments, a fresh Idempotency-Key each), the coordinator's week page
#   (/coordination/week), and the mixed load: 80 % queue reads, 20 % POST /api/calls.
# Prints req/s, p50, p99 (ms), answers that were not 2xx/3xx, the ratio to /health, the
# CPU time per request of the server and of the database server (PostgreSQL's
# processes; SQLite runs inside the server): user + system time over the run from /proc,
# divided by the requests answered, and the queue's reads still waiting to be moved
# into the audit trail at the end of the run (small: the settling keeps up). Throughput moves with whatever else the 2 cores are
# doing; the CPU per request much less, so it is the figure to compare between builds.
#
#   bash benches/load.sh [sqlite|postgres|both]     # default both
#
# Environment: DURATION (each run, default 10s), CALLERS (accounts logged in, default
# 8), LIEN_BIN (an already built binary: no build), LIEN_BENCH_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres: a server where the script may create a
# database; dropped at the end), KEEP=1 keeps the work folder (server logs), ONLY (a
# pattern: only the routes whose label matches it, after /health and the stylesheet), PERF (a folder: a
# `perf record -g` of the server during each route, `perf report -i PERF/<n>.data`),
# NO_VACUUM=1 (PostgreSQL measured straight after the demo's load, see settle_postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${1:-both}"
DURATION="${DURATION:-10s}"
CALLERS="${CALLERS:-8}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
PG_ADMIN="${LIEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_SERVER="${PG_ADMIN%/*}"
PG_DB="lien_bench_load_$$"
WORK="$(mktemp -d)"
LUA="$PWD/benches/load.lua"
SERVER_PID=""

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work folder: $WORK" >&2; fi
}
trap cleanup EXIT

source benches/common.sh
debian_tool wrk
for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "benches/load.sh needs $tool" >&2; exit 1; }
done

if [ -z "${LIEN_BIN:-}" ]; then
    cargo build --release --quiet --bin lien
fi
LIEN="${LIEN_BIN:-$PWD/target/release/lien}"

# Starts `lien demo` on $1 (a database URL) and waits for /health; sets BASE and
# SERVER_PID; the demo's welcome (logins) is in $WORK/demo.out.
start_demo() {
    local url="$1" port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    LIEN_DATA_DIR="$WORK/data" "$LIEN" --database-url "$url" --lang en demo \
        --bind "127.0.0.1:$port" >"$WORK/demo.out" 2>"$WORK/demo.err" &
    SERVER_PID=$!
    for _ in $(seq 1 2400); do
        if curl -fs "$BASE/health" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "the demo stopped:" >&2
            cat "$WORK/demo.err" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "the demo did not answer within 20 minutes" >&2
    exit 1
}

stop_demo() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# Logs in $1 / $2 through the API and prints the session cookie's value.
login() {
    local jar="$WORK/jar"
    rm -f "$jar"
    curl -fs -c "$jar" -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg e "$1" --arg p "$2" '{email: $e, password: $p}')" \
        "$BASE/api/session" >/dev/null
    awk '$6 == "lien_session" { print $7 }' "$jar"
}

# Writes $WORK/callers.txt (COOKIE ASSIGNMENT_ID per logged-in caller) and
# $WORK/coordinator.txt, for the database at $1.
log_in_callers() {
    local url="$1" n=0 email password cookie assignment
    : >"$WORK/callers.txt"
    # The demo's caller accounts first, then accounts made for other callers of the week.
    {
        sed -n 's/^ *caller: \(.*\) \/ \(.*\)$/\1 \2/p' "$WORK/demo.out"
        "$LIEN" --database-url "$url" callers list --json |
            jq -r '.callers[] | select(.assigned > 0 and .active and (.absent | not)) | .email' |
            while read -r email; do echo "$email lien-load-appelant"; done
    } >"$WORK/candidates.txt"
    while read -r email password && [ "$n" -lt "$CALLERS" ]; do
        grep -q "^$email " "$WORK/callers.done" 2>/dev/null && continue
        if [ "$password" = "lien-load-appelant" ]; then
            printf '%s\n' "$password" | "$LIEN" --database-url "$url" users add --role caller \
                --email "$email" --password-stdin --json >/dev/null 2>&1 || continue
        fi
        cookie="$(login "$email" "$password")"
        [ -n "$cookie" ] || continue
        assignment="$(curl -fs -b "lien_session=$cookie" "$BASE/api/me/queue" |
            jq -r '[.queue[].assignment_id][0] // empty')"
        [ -n "$assignment" ] || continue
        echo "$cookie $assignment" >>"$WORK/callers.txt"
        echo "$email " >>"$WORK/callers.done"
        n=$((n + 1))
    done <"$WORK/candidates.txt"
    rm -f "$WORK/callers.done"
    if [ "$n" -lt 2 ]; then
        echo "fewer than two callers could log in with an open assignment" >&2
        exit 1
    fi
    echo "  $n callers logged in" >&2
    read -r email password < <(sed -n 's/^ *coordinator: \(.*\) \/ \(.*\)$/\1 \2/p' "$WORK/demo.out")
    echo "$(login "$email" "$password") 0" >"$WORK/coordinator.txt"
}

# One wrk run: `run LABEL SESSIONS_FILE MODE PATH`; prints the RESULT line's figures.
run() {
    local label="$1" sessions="$2" mode="$3" path="$4" out perf_pid=""
    echo "  $label…" >&2
    if [ -n "${PERF:-}" ]; then
        mkdir -p "$PERF"
        perf record -F 499 -g -p "$SERVER_PID" -o "$PERF/$(echo "$label" | tr -c 'a-z0-9\n' '_').data" \
            -- sleep "${DURATION%s}" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    local server_before db_before waits_before
    server_before="$(cpu_ticks "$SERVER_PID")"
    db_before="$(postgres_ticks)"
    waits_before="$(thread_waits "$SERVER_PID")"
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$BASE" \
        -- "$sessions" "$mode" "$path" 20 "$$-$RANDOM")"
    echo "$out" >>"$WORK/wrk.log"
    [ -z "$perf_pid" ] || wait "$perf_pid" || true
    echo "$(echo "$out" | sed -n 's/^RESULT //p') $(($(cpu_ticks "$SERVER_PID") - server_before)) $(($(postgres_ticks) - db_before)) $(($(thread_waits "$SERVER_PID") - waits_before))"
}

# How many times the server's threads went to sleep waiting (their voluntary context
# switches, summed): each hand-off between two threads (a request to a database
# connection's thread and back, a reply to the request's thread) is one or two. A count,
# far less moved by a busy machine than seconds are.
thread_waits() {
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s + 0 }'
}

# User + system clock ticks of process $1 so far (fields 14 and 15 of /proc/PID/stat,
# after the command name in parentheses).
cpu_ticks() {
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# The same, summed over every PostgreSQL process of the machine (0 without any).
postgres_ticks() {
    local total=0 pid
    for pid in $(pgrep -x postgres 2>/dev/null); do
        total=$((total + $(cpu_ticks "$pid")))
    done
    echo "$total"
}

# Milliseconds of CPU per request: `per_request TICKS REQUESTS CLK_TCK`.
per_request() {
    awk -v t="$1" -v n="$2" -v hz="$3" 'BEGIN { if (n > 0) printf "%.3f", 1000 * t / hz / n; else print "-" }'
}

# PostgreSQL: the demo's tables as autovacuum leaves them a minute after a bulk load
# (statistics gathered, pages marked all-visible, so that index-only scans read no
# table page); without it the runs measure the minute after the load. NO_VACUUM=1 skips
# it. SQLite has nothing like it to run.
settle_postgres() {
    if [[ "$1" == postgres* ]] && [ -z "${NO_VACUUM:-}" ]; then
        echo "  VACUUM (ANALYZE) of the demo's database" >&2
        psql "$1" -qX -c "VACUUM (ANALYZE)" >/dev/null
    fi
}

# The queue's reads recorded but not yet moved into the audit trail, right after a run:
# a figure that stays small says the settling keeps up with the load (SQLite: the reads
# file past the database's mark, read with Python's sqlite3; PostgreSQL: the table).
reads_waiting() {
    if [[ "$1" == postgres* ]]; then
        psql "$1" -tAqX -c "SELECT COUNT(*) FROM contact_reads" 2>/dev/null || echo "-"
    else
        python3 - "$WORK/load.db" <<'PY' 2>/dev/null || echo "-"
import sqlite3, sys
db = sys.argv[1]
mark = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10).execute(
    "SELECT up_to FROM contact_reads_settled").fetchone()[0]
reads = sqlite3.connect(f"file:{db}-reads?mode=ro", uri=True, timeout=10)
print(reads.execute("SELECT COUNT(*) FROM contact_reads WHERE id > ?", (mark,)).fetchone()[0])
PY
    fi
}

# The routes on one backend: a table of figures, /health first.
measure() {
    local backend="$1" url="$2" health=""
    start_demo "$url"
    log_in_callers "$url"
    settle_postgres "$url"
    local none="$WORK/none.txt"
    : >"$none"
    printf '\n%s (%s, %d threads, %d connections, %s each)\n' "$backend" "$(nproc) cores" \
        "$THREADS" "$CONNECTIONS" "$DURATION"
    printf '%-34s %10s %9s %9s %8s %9s %11s %9s %8s %8s\n' route "req/s" "p50 ms" "p99 ms" "errors" \
        "/health" "server CPU" "db CPU" "waiting" "sleeps"
    local hz
    hz="$(getconf CLK_TCK)"
    while IFS='|' read -r label sessions mode path; do
        if [ -n "$health" ] && [ -n "${ONLY:-}" ] && ! [[ "$label" =~ $ONLY|^GET\ /static ]]; then
            continue
        fi
        read -r requests rps p50 p99 status socket server_ticks db_ticks waits \
            < <(run "$label" "$sessions" "$mode" "$path")
        [ -n "$health" ] || health="$rps"
        printf '%-34s %10s %9s %9s %8s %8s %8s ms %6s ms %8s %8s\n' "$label" "$rps" "$p50" "$p99" \
            "$((status + socket))" "$(awk -v r="$rps" -v h="$health" 'BEGIN { printf "%.1f%%", 100 * r / h }')" \
            "$(per_request "$server_ticks" "$requests" "$hz")" "$(per_request "$db_ticks" "$requests" "$hz")" \
            "$(reads_waiting "$url")" \
            "$(awk -v w="$waits" -v n="$requests" 'BEGIN { if (n > 0) printf "%.1f", w / n; else print "-" }')"
    done <<EOF
GET /health|$none|get|/health
GET /static/lien.css|$none|get|/static/lien.css
GET /api/me/queue|$WORK/callers.txt|get|/api/me/queue
GET /appels|$WORK/callers.txt|get|/appels
POST /api/calls|$WORK/callers.txt|post|/api/calls
GET /coordination/week|$WORK/coordinator.txt|get|/coordination/week
mixed: 80% queue, 20% POST calls|$WORK/callers.txt|mix|/api/me/queue
EOF
    stop_demo
}

echo "lien $("$LIEN" --version 2>/dev/null | awk '{print $2}'), wrk $(wrk -v 2>&1 | awk 'NR==1{print $2}')" >&2
if [ "$BACKENDS" = sqlite ] || [ "$BACKENDS" = both ]; then
    measure SQLite "sqlite://$WORK/load.db"
fi
if [ "$BACKENDS" = postgres ] || [ "$BACKENDS" = both ]; then
    psql "$PG_ADMIN" -qX -c "CREATE DATABASE $PG_DB" >/dev/null
    measure PostgreSQL "$PG_SERVER/$PG_DB"
fi
