#!/usr/bin/env bash
# The outbox drain on both backends, in release mode, beside a bare lettre loop sending
# the same mails to the same local SMTP server in the same run (examples/bench_outbox.rs).
#
#   bash benches/outbox.sh [MAILS]        # default 10,000 mails, 8 at a time
#
# PostgreSQL: LIEN_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# names a server where the script may create a database; it drops it at the end. Set
# SKIP_POSTGRES=1 to measure SQLite only.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
CONCURRENCY="${CONCURRENCY:-8}"
PG_ADMIN="${LIEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_DB="lien_bench_outbox_$$"
cleanup() {
    if [ -z "${SKIP_POSTGRES:-}" ]; then
        psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

cargo build --release --quiet --example bench_outbox
BENCH=target/release/examples/bench_outbox

echo "## SQLite"
"$BENCH" --mails "$N" --concurrency "$CONCURRENCY"
if [ -z "${SKIP_POSTGRES:-}" ]; then
    psql "$PG_ADMIN" -qX -c "CREATE DATABASE $PG_DB" >/dev/null
    echo
    echo "## PostgreSQL"
    "$BENCH" --mails "$N" --concurrency "$CONCURRENCY" --database-url "${PG_ADMIN%/*}/$PG_DB"
fi
