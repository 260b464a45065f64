#!/usr/bin/env bash
# Benchmarks the filter against pandas and polars on a generated ~1 GiB CSV
# (10 columns, 7 numeric, ~30% rows with quoted fields holding commas and
# doubled quotes). Prints MB/s, peak RSS and the ratio to sluice.
#   usage: scripts/bench.sh [BYTES]      (default 1073741824)
set -euo pipefail
cd "$(dirname "$0")/.."

bytes="${1:-1073741824}"
work="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
mkdir -p "$work"
target="${CARGO_TARGET_DIR:-target}"

if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi
cargo build --release -p sluice -p sluice-engine --example gen_bench_csv >&2
bin="$(scripts/venv.sh bench)"
data="$work/data-$bytes.csv"
if [ ! -s "$data" ]; then
  echo "generating $data" >&2
  "$target/release/examples/gen_bench_csv" "$bytes" >"$data.tmp" && mv "$data.tmp" "$data"
fi
"$bin/python" benches/filter.py "$target/release/sluice" "$data" "$work"
