#!/usr/bin/env bash
# Fuzzes the import reader and row parsers: each target runs for SECONDS (default 60).
#
#   fuzz/run.sh [SECONDS]
#
# Installs what it needs on a fresh machine: the nightly toolchain (rustup) and
# cargo-fuzz (crates.io). The corpus grows in fuzz/corpus/<target>/ (kept between runs,
# not committed), seeded from the first lines of fixtures/samples and fixtures/demo.
# A crash stops the run with the input in fuzz/artifacts/<target>/; reproduce it with
#   cd fuzz && cargo +nightly fuzz run <target> artifacts/<target>/crash-…
# minimise it with `cargo +nightly fuzz tmin <target> artifacts/<target>/crash-…`,
# and turn it into a unit test beside the code it broke (src/import/).
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
targets=(read_table parse_rows)

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd "$here"
for target in "${targets[@]}"; do
    corpus="corpus/$target"
    if [ ! -d "$corpus" ]; then
        mkdir -p "$corpus"
        # Seeds: the head of every fixture (a whole 250 kB file would make libFuzzer's
        # inputs that long and every run slow).
        for file in "$root"/fixtures/samples/*.csv "$root"/fixtures/demo/*.csv; do
            head -n 40 "$file" >"$corpus/seed-$(basename "$(dirname "$file")")-$(basename "$file")"
        done
    fi
done

# The code under test is safe Rust: what we look for is a panic (index out of range,
# slicing inside a character, overflow — debug assertions are on), not memory errors,
# so no sanitizer: the build is quicker and the runs several times faster.
cargo +nightly fuzz build --sanitizer none

status=0
for target in "${targets[@]}"; do
    echo "== $target: ${seconds} s"
    # -timeout: an input taking over 10 s is a finding too (quadratic reading).
    if ! cargo +nightly fuzz run --sanitizer none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 -print_final_stats=1; then
        echo "== $target: CRASH, see fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
