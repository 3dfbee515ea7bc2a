#!/usr/bin/env bash
# `lien plan` end to end at the reference size: 1,000,000 beneficiaries and 20,000
# callers, with last week's plan in the database (and a third week, with two weeks of
# plans before it), on SQLite and PostgreSQL. For each backend it prints the wall time
# of the plans and the planner's own split (load / plan / write), plus a baseline
# measured in the same run on the same database: reading the week's assignments back
# out (`lien assignments --csv`), and the ratio to it.
#
#   bash benches/plan_end_to_end.sh [--backend sqlite|postgres|both] [--keep DIR]
#                                   [BENEFICIARIES] [CALLERS]
#
# --backend (or LIEN_BENCH_BACKEND): which databases, default both.
# --keep DIR (or LIEN_BENCH_KEEP): keep the imported data in DIR and reuse it on the next
#   run of the same size, so that only the plans are run again (the import of 1,000,000
#   people is setup, not measured here): an SQLite file DIR/sqlite-N-C.db, copied for
#   each run, and a PostgreSQL template database lien_bench_tpl_N_C, cloned for each run
#   (`CREATE DATABASE … TEMPLATE …`). Without it everything is built and dropped.
# LIEN_BIN: the `lien` binary to measure (another commit's, for a before/after),
#   instead of this tree's release build.
# LIEN_BENCH_PG: the PostgreSQL server, default postgres://postgres@127.0.0.1:5432
#   (a fresh database lien_bench_plan_PID is created on it and dropped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND="${LIEN_BENCH_BACKEND:-both}"
KEEP="${LIEN_BENCH_KEEP:-}"
PG="${LIEN_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --backend) BACKEND="$2"; shift 2 ;;
        --backend=*) BACKEND="${1#*=}"; shift ;;
        --keep) KEEP="$2"; shift 2 ;;
        --keep=*) KEEP="${1#*=}"; shift ;;
        -h|--help) sed -n 2,21p "$0"; exit 0 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
N="${ARGS[0]:-1000000}"
C="${ARGS[1]:-20000}"
case "$BACKEND" in
    sqlite|postgres|both) ;;
    *) echo "--backend: sqlite, postgres or both" >&2; exit 2 ;;
esac

WORK="$(mktemp -d)"
RUN_DB="lien_bench_plan_$$"
TEMPLATE="lien_bench_tpl_${N}_${C}"
[ -n "$KEEP" ] || TEMPLATE="lien_bench_tpl_$$"
psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql "$PG/postgres" -v ON_ERROR_STOP=1 -qtAX "$@"; }
cleanup() {
    rm -rf "$WORK"
    if [ "$BACKEND" != sqlite ]; then
        psql_admin -c "DROP DATABASE IF EXISTS $RUN_DB" >/dev/null 2>&1 || true
        [ -n "$KEEP" ] || psql_admin -c "DROP DATABASE IF EXISTS $TEMPLATE" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

if [ -n "${LIEN_BIN:-}" ]; then
    LIEN="$LIEN_BIN"
else
    cargo build --release --quiet --bin lien
    LIEN="$PWD/target/release/lien"
fi
now() { date +%s%N; }
secs() { python3 -c "print(f'{($(now) - $1) / 1e9:.2f}')"; }
DATA="${KEEP:-$WORK}/data-$N-$C"

# The fixtures, generated once per size when kept.
fixtures() {
    if [ ! -f "$DATA/beneficiaries.csv" ]; then
        mkdir -p "$DATA"
        "$LIEN" fixtures --out "$DATA" --beneficiaries "$N" --callers "$C" >/dev/null
    fi
}

# Migrates and imports the fixtures into DATABASE_URL (setup, timed but not the target).
import_all() {
    fixtures
    "$LIEN" migrate >/dev/null
    local s
    s=$(now)
    "$LIEN" import territories "$DATA/territories.csv" --json >/dev/null
    "$LIEN" import callers "$DATA/callers.csv" --json >/dev/null
    "$LIEN" import beneficiaries "$DATA/beneficiaries.csv" --json >/dev/null
    echo "  import (setup, not the target): $(secs "$s") s"
}

# A fresh database of the size, imported, in DATABASE_URL.
prepare_sqlite() {
    local prepared="${KEEP:-$WORK}/sqlite-$N-$C.db"
    if [ ! -f "$prepared" ]; then
        DATABASE_URL="sqlite://$prepared" import_all
        # One file, no write-ahead log beside it, so that a copy is the whole database.
        sqlite3 "$prepared" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    else
        echo "  reusing the imported data in $prepared"
    fi
    cp "$prepared" "$WORK/run.db"
    export DATABASE_URL="sqlite://$WORK/run.db"
}

prepare_postgres() {
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$TEMPLATE'")" ]; then
        psql_admin -c "CREATE DATABASE $TEMPLATE" >/dev/null
        DATABASE_URL="$PG/$TEMPLATE" import_all
        psql "$PG/$TEMPLATE" -qtAX -c "VACUUM ANALYZE" >/dev/null
    else
        echo "  reusing the imported data in database $TEMPLATE"
    fi
    psql_admin -c "DROP DATABASE IF EXISTS $RUN_DB" >/dev/null
    psql_admin -c "CREATE DATABASE $RUN_DB TEMPLATE $TEMPLATE" >/dev/null
    export DATABASE_URL="$PG/$RUN_DB"
}

# Plans W47 (every assignment new), then W48 with W47's plan in the database (the
# target), then W49 with two weeks of plans before it (the steady state: the history
# grows by a week of rows each week), then reads W48 back (the baseline).
timings() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = d["timings"]; e2e = float(sys.argv[2])
s = d["summary"]
print(f"    load {t['load_ms']/1000:.2f} s · plan {t['plan_ms']/1000:.2f} s · write {t['write_ms']/1000:.2f} s")
detail = {k: v for k, v in t.items() if k not in ("load_ms", "plan_ms", "write_ms")}
if detail:
    print("    " + " · ".join(f"{k[:-3]} {v/1000:.2f} s" for k, v in detail.items()))
print(f"    eligible {s['eligible']} · assigned {s['assigned']} · new {s['new']} · kept {s['kept']} · continuity {s['continuity']['percent']}%")
PY
}

run() {
    local backend="$1" s e2e w49 read_back
    echo "$backend: $N beneficiaries, $C callers"
    "prepare_$backend"
    s=$(now)
    "$LIEN" plan --week 2026-W47 --json > "$WORK/w47.json"
    echo "  plan 2026-W47 (first week, every assignment new): $(secs "$s") s"
    timings "$WORK/w47.json" 0
    s=$(now)
    "$LIEN" plan --week 2026-W48 --json > "$WORK/w48.json"
    e2e=$(secs "$s")
    echo "  plan 2026-W48 (with last week's plan): $e2e s end to end"
    timings "$WORK/w48.json" "$e2e"
    s=$(now)
    "$LIEN" plan --week 2026-W49 --json > "$WORK/w49.json"
    w49=$(secs "$s")
    echo "  plan 2026-W49 (two weeks of plans before it): $w49 s end to end"
    timings "$WORK/w49.json" "$w49"
    s=$(now)
    "$LIEN" assignments --week 2026-W48 --csv > /dev/null
    read_back=$(secs "$s")
    echo "  baseline: reading the week's assignments back: $read_back s"
    echo "  $backend: plan / read-back = $(python3 -c "print(f'{$e2e / $read_back:.1f}')") ($e2e s / $read_back s); W49: $(python3 -c "print(f'{$w49 / $read_back:.1f}')")"
}

[ "$BACKEND" = postgres ] || run sqlite
[ "$BACKEND" = sqlite ] || run postgres
