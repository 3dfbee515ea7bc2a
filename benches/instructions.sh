#!/usr/bin/env bash
# Instructions per request of the caller's routes, counted by valgrind's callgrind: the
# same figure run after run whatever else the machine is doing, where req/s and CPU
# time move by a third between two runs of one binary on a shared machine
# (docs/PERFORMANCE.md, "Under load"). It counts user-space instructions only: a thread
# hand-off's cost in the kernel (futex, scheduling) does not show.
#
# For each binary, a fresh SQLite demo is made by that binary (a newer binary's
# migrations would stop an older one), then for each route `lien serve` runs under
# callgrind on a copy of it, a caller with assignments this week logs in, and the route
# is asked REQUESTS times in turn on one connection. A run that asks nothing (login and
# one request only) gives what starting, logging in and the background work cost, and
# is taken off: (instructions with REQUESTS − instructions without) / REQUESTS.
#
#   bash benches/instructions.sh                 # the release binary of this checkout
#   BASE_BIN=/tmp/lien-main bash benches/instructions.sh   # and another, side by side
#
# Environment: LIEN_BIN (default: target/release/lien, built when missing), BASE_BIN (a
# second binary to compare), REQUESTS (default 200), ROUTES (default "/api/me/queue
# /appels"), KEEP=1 keeps the work folder (callgrind's files, for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${REQUESTS:-200}"
ROUTES="${ROUTES:-/api/me/queue /appels}"
WORK="$(mktemp -d)"
SERVER_PID=""
PASSWORD="lien-instructions-appelant"

cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work folder: $WORK" >&2; fi
}
trap cleanup EXIT

source benches/common.sh
debian_tool valgrind
for tool in curl jq python3; do
    command -v "$tool" >/dev/null || { echo "benches/instructions.sh needs $tool" >&2; exit 1; }
done
if [ -z "${LIEN_BIN:-}" ]; then
    cargo build --release --quiet --bin lien
fi
LIEN="${LIEN_BIN:-$PWD/target/release/lien}"
export LIEN_SECRET_KEY="${LIEN_SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
export LIEN_DATA_DIR="$WORK/data"

# Waits until $1 answers /health, or fails with the server's errors ($2).
wait_for() {
    for _ in $(seq 1 1200); do
        if curl -fs "$1/health" >/dev/null 2>&1; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$2" >&2; exit 1; }
        sleep 0.5
    done
    echo "the server did not answer within 10 minutes" >&2
    exit 1
}

# `seed BIN`: BIN's demo, stopped; then an account for a caller with assignments this
# week.
seed() {
    local bin="$1" port email
    rm -f "$WORK"/seed.db*
    port="$(free_port)"
    "$bin" --database-url "sqlite://$WORK/seed.db" --lang en demo --bind "127.0.0.1:$port" \
        >"$WORK/demo.out" 2>"$WORK/demo.err" &
    SERVER_PID=$!
    wait_for "http://127.0.0.1:$port" "$WORK/demo.err"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    email="$("$bin" --database-url "sqlite://$WORK/seed.db" callers list --json |
        jq -r '[.callers[] | select(.assigned > 0 and .active and (.absent | not))][0].email')"
    printf '%s\n' "$PASSWORD" | "$bin" --database-url "sqlite://$WORK/seed.db" users add \
        --role caller --email "$email" --password-stdin --json >/dev/null
    echo "$email" >"$WORK/email"
}

# `count BIN ROUTE N`: callgrind's total for one server run that answers ROUTE N times.
count() {
    local bin="$1" route="$2" n="$3" port base out db="$WORK/run.db" jar="$WORK/jar"
    rm -f "$db-wal" "$db-shm" "$jar"
    # The demo's WAL too, if its last writer left one: without it the copy is older.
    for part in "" -wal; do
        [ ! -f "$WORK/seed.db$part" ] || cp "$WORK/seed.db$part" "$db$part"
    done
    port="$(free_port)"
    base="http://127.0.0.1:$port"
    out="$WORK/cg.$(date +%s%N)"
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$bin" --database-url "sqlite://$db" --lang en serve --bind "127.0.0.1:$port" \
        >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVER_PID=$!
    wait_for "$base" "$WORK/serve.err"
    curl -fs -c "$jar" -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg e "$(cat "$WORK/email")" --arg p "$PASSWORD" '{email: $e, password: $p}')" \
        "$base/api/session" >/dev/null
    curl -fs -b "$jar" "$base$route" >/dev/null
    # The demo's mails, the first purge and the statement caches settle first.
    sleep 15
    if [ "$n" -gt 0 ]; then
        # One curl, one connection, the requests in turn.
        seq "$n" | sed "s|.*|url = \"$base$route\"|" >"$WORK/urls"
        curl -fs -b "$jar" -K "$WORK/urls" >/dev/null
    fi
    sleep 2
    kill -INT "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    sed -n 's/^summary: //p' "$out"
}

printf '%-16s %-40s %14s\n' route binary "instr/request"
for bin in "$LIEN" ${BASE_BIN:+"$BASE_BIN"}; do
    seed "$bin"
    for route in $ROUTES; do
        idle="$(count "$bin" "$route" 0)"
        busy="$(count "$bin" "$route" "$REQUESTS")"
        printf '%-16s %-40s %14d\n' "$route" "$bin" $(((busy - idle) / REQUESTS))
    done
done
