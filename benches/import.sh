#!/usr/bin/env bash
# `lien import beneficiaries` at national scale, beside plain loaders of the same file
# measured in the same run:
#   - SQLite: the sqlite3 shell's `.import` into a fresh file database (baseline), and a
#     plain Python loader (csv module, executemany, one transaction);
#   - PostgreSQL: `psql \copy` into a plain table of text columns (baseline);
#   - lien on each backend: a first import (every row new), the same file again (every
#     row unchanged), then a file with one row in ten changed (its address).
# Each timed case runs under `/usr/bin/time -v`: wall time and peak RSS of the process
# (for `\copy` and lien on PostgreSQL, the client's; the server's work shows in the time).
#
#   bash benches/import.sh [ROWS]        # default 1,000,000 beneficiaries
#
# PostgreSQL: LIEN_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# names a server where the script may create two databases; it drops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
CALLERS="${CALLERS:-20000}"
PG_ADMIN="${LIEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_SERVER="${PG_ADMIN%/*}"
PG_COPY_DB="lien_bench_copy_$$"
PG_LIEN_DB="lien_bench_import_$$"
WORK="$(mktemp -d)"
cleanup() {
    for db in "$PG_COPY_DB" "$PG_LIEN_DB"; do
        psql "$PG_ADMIN" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
export PGCLIENTENCODING=UTF8

# LIEN_BIN=path runs an already built binary instead (while developing this script).
if [ -z "${LIEN_BIN:-}" ]; then
    cargo build --release --quiet --bin lien
fi
LIEN="${LIEN_BIN:-$PWD/target/release/lien}"

# One timed case: `timed ID COMMAND...`; stdout goes to $WORK/ID.out, the time report to
# $WORK/ID.time.
timed() {
    local id="$1"
    shift
    echo "  $id…" >&2
    /usr/bin/time -v -o "$WORK/$id.time" "$@" >"$WORK/$id.out"
}

echo "fixtures: $N beneficiaries, $CALLERS callers" >&2
"$LIEN" fixtures --out "$WORK/data" --beneficiaries "$N" --callers "$CALLERS" >/dev/null
FILE="$WORK/data/beneficiaries.csv"

# The same file with one row in ten changed: every tenth person has moved next door.
python3 - "$FILE" "$WORK/changed.csv" <<'PY'
import sys
src, dst = sys.argv[1:3]
with open(src, encoding="utf-8", newline="") as f, open(dst, "w", encoding="utf-8", newline="") as out:
    header = f.readline()
    out.write(header)
    address = header.rstrip("\r\n").split(";").index("Adresse")
    for i, line in enumerate(f):
        if i % 10 == 0:
            cells = line.rstrip("\r\n").split(";")
            cells[address] = (cells[address] + " bis").strip()
            line = ";".join(cells) + "\n"
        out.write(line)
PY

# A table with the file's columns, all text, for the plain loaders.
COLUMNS="$(python3 -c '
import sys
header = open(sys.argv[1], encoding="utf-8").readline().rstrip("\r\n").split(";")
print(", ".join("\"" + h.replace("\"", "\"\"") + "\" TEXT" for h in header))' "$FILE")"

cat >"$WORK/python_loader.py" <<'PY'
# A plain loader: the csv module reads the `;` UTF-8 file, executemany inserts every row
# into a table with the same columns, in one transaction.
import csv, sqlite3, sys
path, database = sys.argv[1:3]
with open(path, encoding="utf-8", newline="") as f:
    rows = csv.reader(f, delimiter=";")
    header = next(rows)
    conn = sqlite3.connect(database)
    columns = ", ".join('"%s" TEXT' % h.replace('"', '""') for h in header)
    conn.execute(f"CREATE TABLE beneficiaries ({columns})")
    marks = ", ".join("?" * len(header))
    with conn:
        conn.executemany(f"INSERT INTO beneficiaries VALUES ({marks})", rows)
    conn.close()
PY

lien_setup() {
    "$LIEN" migrate >/dev/null
    "$LIEN" import territories "$WORK/data/territories.csv" --json >/dev/null
    "$LIEN" import callers "$WORK/data/callers.csv" --json >/dev/null
}

echo "SQLite" >&2
timed sqlite_import sqlite3 "$WORK/dot_import.db" ".mode csv" ".separator ;" \
    ".import '$FILE' beneficiaries"
timed python python3 "$WORK/python_loader.py" "$FILE" "$WORK/python.db"
for db in dot_import python; do
    count="$(sqlite3 "$WORK/$db.db" 'SELECT count(*) FROM beneficiaries')"
    [ "$count" = "$N" ] || { echo "$db loaded $count rows, not $N" >&2; exit 1; }
done
export DATABASE_URL="sqlite://$WORK/lien.db"
lien_setup
timed lien_sqlite "$LIEN" import beneficiaries "$FILE" --json
timed lien_sqlite_same "$LIEN" import beneficiaries "$FILE" --json
timed lien_sqlite_changed "$LIEN" import beneficiaries "$WORK/changed.csv" --json

echo "PostgreSQL" >&2
psql "$PG_ADMIN" -qX -c "CREATE DATABASE $PG_COPY_DB" -c "CREATE DATABASE $PG_LIEN_DB"
psql "$PG_SERVER/$PG_COPY_DB" -qX -c "CREATE TABLE beneficiaries ($COLUMNS)"
timed pg_copy psql "$PG_SERVER/$PG_COPY_DB" -qX \
    -c "\\copy beneficiaries FROM '$FILE' WITH (FORMAT csv, DELIMITER ';', HEADER true)"
count="$(psql "$PG_SERVER/$PG_COPY_DB" -qXAt -c 'SELECT count(*) FROM beneficiaries')"
[ "$count" = "$N" ] || { echo "\\copy loaded $count rows, not $N" >&2; exit 1; }
export DATABASE_URL="$PG_SERVER/$PG_LIEN_DB"
lien_setup
timed lien_pg "$LIEN" import beneficiaries "$FILE" --json
timed lien_pg_same "$LIEN" import beneficiaries "$FILE" --json
timed lien_pg_changed "$LIEN" import beneficiaries "$WORK/changed.csv" --json

python3 - "$WORK" "$N" <<'PY'
import json, re, sys
work, n = sys.argv[1], int(sys.argv[2])

def measure(case):
    text = open(f"{work}/{case}.time").read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return max(seconds, 0.01), kb / 1024

# case, label, baseline, most the ratio may be (None: no target)
CASES = [
    ("sqlite_import", "sqlite3 .import (SQLite baseline)", None, None),
    ("python", "Python csv + executemany", "sqlite_import", None),
    ("lien_sqlite", "lien import, SQLite", "sqlite_import", 2.0),
    ("lien_sqlite", "  same, vs the Python loader", "python", 1.0),
    ("lien_sqlite_same", "lien import again, unchanged, SQLite", "sqlite_import", 2.0),
    ("lien_sqlite_changed", "lien import, 10 % changed, SQLite", "sqlite_import", None),
    ("pg_copy", "psql \\copy (PostgreSQL baseline)", None, None),
    ("lien_pg", "lien import, PostgreSQL", "pg_copy", 2.0),
    ("lien_pg_same", "lien import again, unchanged, PostgreSQL", "pg_copy", None),
    ("lien_pg_changed", "lien import, 10 % changed, PostgreSQL", "pg_copy", None),
]
PEAK_MB = 200
SHORT = {"sqlite_import": ".import", "python": "Python", "pg_copy": "\\copy"}
m = {case: measure(case) for case, *_ in CASES}
print(f"Import of {n:,} beneficiaries (benches/import.sh {n})\n")
print("| case | seconds | rows/s | peak MB | ratio | target | result |")
print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
missed = 0
for case, label, base, most in CASES:
    seconds, mb = m[case]
    ratio = f"{seconds / m[base][0]:.2f}× {SHORT[base]}" if base else "1.00"
    targets, ok = [], True
    if most is not None:
        targets.append(f"≤ {most:.1f}× {SHORT[base]}" if most != 1.0 else f"faster than {SHORT[base]}")
        ok &= seconds / m[base][0] <= most if most != 1.0 else seconds < m[base][0]
    if case.startswith("lien") and not label.startswith("  "):
        targets.append(f"peak < {PEAK_MB} MB")
        ok &= mb < PEAK_MB
    result = ("met" if ok else "**NOT met**") if targets else "—"
    missed += not ok
    print(f"| {label} | {seconds:.2f} | {n / seconds:,.0f} | {mb:.0f} | {ratio} | {', '.join(targets) or '—'} | {result} |")
print()
for case in ["lien_sqlite", "lien_sqlite_same", "lien_sqlite_changed", "lien_pg", "lien_pg_same", "lien_pg_changed"]:
    r = json.load(open(f"{work}/{case}.out"))
    print(f"{case}: {r['rows']} rows, {r['inserted']} inserted, {r['updated']} updated, "
          f"{r['unchanged']} unchanged, {r['rejected']} rejected")
print(f"\n{'every target met' if not missed else f'{missed} target(s) NOT met'}")
PY
