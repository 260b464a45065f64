#!/usr/bin/env bash
# Benchmarks a job against pandas and polars on a generated ~1 GiB CSV and
# prints MB/s, peak RSS and the ratio to sluice.
#   filter: 10 columns, 7 numeric, ~30% rows with quoted fields holding
#           commas and doubled quotes (gen_bench_csv)
#   report: the 16-column orders layout (gen_orders_csv)
# The results also go to docs/bench/JOB.csv and, drawn as bars (MB/s and
# peak RSS per tool), to docs/bench/JOB.png, which the README shows.
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
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
bin="$(scripts/venv.sh bench)"
data="$BENCH_WORK/$job-$bytes.csv"
generated "$generator" "$bytes" "$data"
mkdir -p docs/bench
"$bin/python" "benches/$job.py" "$SLUICE" "$data" "$BENCH_WORK" "docs/bench/$job.csv"
"$bin/python" benches/chart.py "docs/bench/$job.csv" "docs/bench/$job.png" \
  "sluice $job vs pandas and polars, $(numfmt --to=iec "$bytes") CSV, $(nproc) cores"
