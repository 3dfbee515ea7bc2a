#!/usr/bin/env bash
# Runs a schema-driven API fuzzer (schemathesis, from PyPI) against a live lien: a fresh
# `lien demo` on its own database, a caller's session cookie, and the OpenAPI document
# the server itself serves at /api/openapi.json. Fails on a 5xx, on a status or a
# content type the document does not list, on a body that does not match its schema,
# and on a method a path does not take that is not answered 405 with Allow.
#
#   scripts/api-fuzz.sh                          # debug build, SQLite in a temporary folder
#   PROFILE=release scripts/api-fuzz.sh          # release build
#   LIEN_FUZZ_DATABASE_URL=postgres://…/lien_fuzz scripts/api-fuzz.sh   # PostgreSQL (wiped)
#   MAX_EXAMPLES=200 scripts/api-fuzz.sh         # more cases per operation (default 100)
#   LIEN_BIN=target/debug/lien scripts/api-fuzz.sh   # a binary already built
#
# schemathesis is installed once in a virtualenv under ~/.cache/lien-api-fuzz (or
# $LIEN_FUZZ_VENV). The report (JUnit XML) is written to target/api-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-debug}
MAX_EXAMPLES=${MAX_EXAMPLES:-100}
VENV=${LIEN_FUZZ_VENV:-$HOME/.cache/lien-api-fuzz/venv}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
OUT=target/api-fuzz
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/st" ]; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

# LIEN_BIN=path runs an already built binary instead.
if [ -z "${LIEN_BIN:-}" ]; then
    if [ "$PROFILE" = release ]; then
        cargo build --release --bin lien
    else
        cargo build --bin lien
    fi
fi
BIN=$(realpath "${LIEN_BIN:-target/$PROFILE/lien}")

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DB_ARGS=()
if [ -n "${LIEN_FUZZ_DATABASE_URL:-}" ]; then
    DB_ARGS=(--database-url "$LIEN_FUZZ_DATABASE_URL" --reset)
fi
(cd "$WORK" && env -u DATABASE_URL -u SMTP_URL RUST_LOG=warn \
    "$BIN" demo --lang en --bind "127.0.0.1:$PORT" "${DB_ARGS[@]}" >"$WORK/demo.out" 2>"$WORK/demo.err") &
SERVER_PID=$!

BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 600); do
    if grep -q '^caller: ' "$WORK/demo.out" 2>/dev/null && curl -fs "$BASE/health" >/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat "$WORK/demo.err" >&2
        echo "lien demo stopped" >&2
        exit 1
    fi
    sleep 0.2
done
LOGIN=$(grep -m1 '^caller: ' "$WORK/demo.out" | sed 's/^caller: //')
EMAIL=${LOGIN% / *}
PASSWORD=${LOGIN#* / }
COOKIE=$(curl -fs -D - -o /dev/null -H 'Content-Type: application/json' \
    --data "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$BASE/api/session" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(lien_session=[^;]*\).*/\1/p')
if [ -z "$COOKIE" ]; then
    echo "could not log in as the demo caller $EMAIL" >&2
    exit 1
fi
echo "fuzzing $BASE as the caller $EMAIL" >&2

"$VENV/bin/st" run "$BASE/api/openapi.json" \
    --header "Cookie: $COOKIE" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,unsupported_method \
    --max-examples "$MAX_EXAMPLES" \
    --seed 1 \
    --workers 2 \
    --report junit --report-dir "$OUT" \
    --no-color
