#!/usr/bin/env bash
# `lien plan` end to end on SQLite at the reference size: 1,000,000 beneficiaries and
# 20,000 callers, with last week's plan in the database. Prints the wall time of the
# plan and the planner's own split (load / plan / write), plus two baselines measured in
# the same run: the pure planner on the same data (from the timings), and reading the
# week's assignments back out (`lien assignments --csv`).
#
#   bash benches/plan_end_to_end.sh [BENEFICIARIES] [CALLERS]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
C="${2:-20000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cargo build --release --quiet --bin lien
LIEN="$PWD/target/release/lien"
export DATABASE_URL="sqlite://$WORK/bench.db"
now() { date +%s%N; }
secs() { python3 -c "print(f'{($(now) - $1) / 1e9:.2f}')"; }

echo "fixtures: $N beneficiaries, $C callers"
"$LIEN" fixtures --out "$WORK/data" --beneficiaries "$N" --callers "$C" >/dev/null
"$LIEN" migrate >/dev/null
s=$(now)
"$LIEN" import territories "$WORK/data/territories.csv" --json >/dev/null
"$LIEN" import callers "$WORK/data/callers.csv" --json >/dev/null
"$LIEN" import beneficiaries "$WORK/data/beneficiaries.csv" --json >/dev/null
echo "import (setup, not the target): $(secs "$s") s"
s=$(now)
"$LIEN" plan --week 2026-W47 --json > "$WORK/w47.json"
echo "plan 2026-W47 (first week, every assignment new): $(secs "$s") s"
s=$(now)
"$LIEN" plan --week 2026-W48 --json > "$WORK/w48.json"
e2e=$(secs "$s")
echo "plan 2026-W48 (with last week's plan): $e2e s end to end"
python3 - "$WORK/w48.json" "$e2e" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = d["timings"]; e2e = float(sys.argv[2])
s = d["summary"]
print(f"  load {t['load_ms']/1000:.2f} s · plan {t['plan_ms']/1000:.2f} s · write {t['write_ms']/1000:.2f} s")
print(f"  eligible {s['eligible']} · assigned {s['assigned']} · continuity {s['continuity']['percent']}%")
print(f"  end to end / pure planner = {e2e / (t['plan_ms']/1000):.1f}")
PY
s=$(now)
"$LIEN" assignments --week 2026-W48 --csv > /dev/null
read_back=$(secs "$s")
echo "baseline: reading the week's assignments back: $read_back s (plan / read-back = $(python3 -c "print(f'{$e2e / $read_back:.1f}')"))"
