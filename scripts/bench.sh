#!/usr/bin/env bash
# Benchmarks a job against pandas and polars on a generated ~1 GiB CSV and
# prints MB/s, peak RSS and the ratio to sluice.
#   filter: 10 columns, 7 numeric, ~30% rows with quoted fields holding
#           commas and doubled quotes (gen_bench_csv)
#   report: the 16-column orders layout (gen_orders_csv)
#   usage: scripts/bench.sh [filter|report] [BYTES]   (default: filter 1073741824)
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-filter}"
bytes="${2:-1073741824}"
case "$job" in
  filter) generator=gen_bench_csv ;;
  report) generator=gen_orders_csv ;;
  *) echo "usage: scripts/bench.sh [filter|report] [BYTES]" >&2; exit 2 ;;
esac
work="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
mkdir -p "$work"
target="${CARGO_TARGET_DIR:-target}"

if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi
cargo build --release -p sluice --bin sluice >&2
cargo build --release -p sluice-engine --example "$generator" >&2
bin="$(scripts/venv.sh bench)"
data="$work/$job-$bytes.csv"
if [ ! -s "$data" ]; then
  echo "generating $data" >&2
  "$target/release/examples/$generator" "$bytes" >"$data.tmp" && mv "$data.tmp" "$data"
fi
"$bin/python" "benches/$job.py" "$target/release/sluice" "$data" "$work"
