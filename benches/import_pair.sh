#!/usr/bin/env bash
# Two builds' first imports on PostgreSQL, interleaved (A, B, A, B …), so that a change
# is measured beside its baseline in the same minutes: for each binary, a fresh
# database, `lien migrate`, the territories and callers, then `lien import beneficiaries`
# of a million-row file timed (first import), then the same file again (unchanged).
# The commands are those of benches/import.sh's PostgreSQL half.
#
#   bash benches/import_pair.sh BIN_A BIN_B [PAIRS] [ROWS]   # default 2 pairs, 1,000,000
#
# LIEN_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# server where the script may create databases; each is dropped after its run.
set -euo pipefail
A_BIN="$1"
B_BIN="$2"
PAIRS="${3:-2}"
N="${4:-1000000}"
PG_ADMIN="${LIEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_SERVER="${PG_ADMIN%/*}"
WORK="$(mktemp -d)"
DB=""
cleanup() {
    [ -n "$DB" ] && psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

"$A_BIN" fixtures --out "$WORK/data" --beneficiaries "$N" --callers 20000 >/dev/null
FILE="$WORK/data/beneficiaries.csv"

seconds() {
    local start end
    start="$(date +%s.%N)"
    "$@" >/dev/null
    end="$(date +%s.%N)"
    python3 -c "print(f'{$end - $start:.2f}')"
}

one() {
    local bin="$1" label="$2"
    DB="lien_bench_pair_$$"
    psql "$PG_ADMIN" -qX -c "CREATE DATABASE $DB"
    export DATABASE_URL="$PG_SERVER/$DB"
    "$bin" migrate >/dev/null
    "$bin" import territories "$WORK/data/territories.csv" --json >/dev/null
    "$bin" import callers "$WORK/data/callers.csv" --json >/dev/null
    local first same
    first="$(seconds "$bin" import beneficiaries "$FILE" --json)"
    same="$(seconds "$bin" import beneficiaries "$FILE" --json)"
    echo "$label: first import ${first} s, unchanged file ${same} s"
    psql "$PG_ADMIN" -qX -c "DROP DATABASE $DB WITH (FORCE)"
    DB=""
}

for _ in $(seq "$PAIRS"); do
    one "$A_BIN" A
    one "$B_BIN" B
done
