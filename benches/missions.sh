#!/usr/bin/env bash
# The missions matcher at the reference size: 5,000 needs x 20,000 volunteers (target:
# matched in <= 2 s), with the time of sorting the inputs measured in the same run and
# the ratio. Pure computation, no database.
#
#   bash benches/missions.sh [--needs N] [--volunteers N] [--runs N] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --example bench_missions -- "$@"
