#!/usr/bin/env bash
# Times `sluice inspect` on the filter benchmark's generated CSV (scripts/bench.sh filter, ~1 GiB
# by default) and on a gzip copy of it: best of 3 runs, GB/s of CSV scanned and peak RSS.
#   usage: scripts/bench-inspect.sh [BYTES]      (default 1073741824)
set -euo pipefail
cd "$(dirname "$0")/.."

bytes="${1:-1073741824}"
runs=3
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
work="$BENCH_WORK" sluice="$SLUICE"
data="$work/filter-$bytes.csv"
generated gen_bench_csv "$bytes" "$data"
if [ ! -s "$data.gz" ]; then
  echo "compressing $data.gz" >&2
  gzip -1 -c "$data" >"$data.gz.tmp" && mv "$data.gz.tmp" "$data.gz"
fi

# bench LABEL FILE: best wall time of $runs, its peak RSS, and the rows found.
bench() {
  local label="$1" file="$2" best="" rss="" out="$work/inspect.json" log="$work/inspect.time"
  cat "$file" >/dev/null # page cache: time the scan, not the disk
  for _ in $(seq "$runs"); do
    /usr/bin/time -v "$sluice" inspect "$file" >"$out" 2>"$log"
    local secs kb
    secs="$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")"
    kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")"
    if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN {exit !(a < b)}'; then
      best="$secs" rss="$kb"
    fi
  done
  local csv_bytes rows
  csv_bytes="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csv"]["bytes"])' "$out")"
  rows="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csv"]["rows"])' "$out")"
  awk -v l="$label" -v s="$best" -v b="$csv_bytes" -v f="$(stat -L -c %s "$file")" -v r="$rss" -v n="$rows" 'BEGIN {
    printf "%-12s %6.2f s  %5.2f GB/s of CSV  %7.1f MB/s of file  peak RSS %5.1f MB  (%d rows)\n",
      l, s, b / s / 1e9, f / s / 1e6, r / 1024, n }'
}

echo "sluice inspect, best of $runs ($(nproc) cores, page-cached input):"
bench "csv" "$data"
bench "csv.gz" "$data.gz"
