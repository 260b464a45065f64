#!/usr/bin/env bash
# Before/after on a hot path: two sluice binaries run interleaved on the
# same generated inputs, best of N each, with peak RSS. Covers the plain
# filter (to /dev/null and to a file), the report and inspect, and the
# filter on gzip and zstd copies of its input (the second binary only,
# where the first cannot read them).
#   usage: scripts/bench-ab.sh OLD_BIN NEW_BIN [BYTES] [RUNS]
#          (defaults: 1073741824 bytes, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/bench-ab.sh OLD_BIN NEW_BIN [BYTES] [RUNS]" >&2; exit 2; }
old="$1"
new="$2"
bytes="${3:-1073741824}"
runs="${4:-5}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
BENCH_WORK="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
export TARGET="${CARGO_TARGET_DIR:-target}"  # read by lib.sh's generated
mkdir -p "$BENCH_WORK"
if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi
filter_csv="$BENCH_WORK/filter-$bytes.csv"
orders_csv="$BENCH_WORK/report-$bytes.csv"
generated gen_bench_csv "$bytes" "$filter_csv"
generated gen_orders_csv "$bytes" "$orders_csv"
[ -s "$filter_csv.gz" ] || gzip -1 -c "$filter_csv" >"$filter_csv.gz"
[ -s "$filter_csv.zst" ] || zstd -q -3 -c "$filter_csv" >"$filter_csv.zst"
csv_bytes=$(stat -c %s "$filter_csv")
orders_bytes=$(stat -c %s "$orders_csv")

# once BIN ARGS...: prints "seconds rss_kb" of one run.
once() {
  /usr/bin/time -o "$BENCH_WORK/time.txt" -f '%e %M' "$@" >/dev/null 2>/dev/null
  cat "$BENCH_WORK/time.txt"
}

# case NAME BYTES WHICH ARGS...: best of $runs for each binary in WHICH
# (old, new or both), interleaved; prints MB/s and peak RSS.
case_() {
  local name="$1" size="$2" which="$3"
  shift 3
  local bins=()
  [ "$which" != new ] && bins+=("old:$old")
  [ "$which" != old ] && bins+=("new:$new")
  declare -A best rss
  for _ in $(seq "$runs"); do
    for entry in "${bins[@]}"; do
      local label="${entry%%:*}" bin="${entry#*:}" secs kb
      read -r secs kb < <(once "$bin" "$@")
      if [ -z "${best[$label]:-}" ] || awk "BEGIN{exit !($secs < ${best[$label]})}"; then
        best[$label]=$secs
        rss[$label]=$kb
      fi
    done
  done
  for entry in "${bins[@]}"; do
    local label="${entry%%:*}"
    awk -v n="$name" -v l="$label" -v s="${best[$label]}" -v b="$size" -v k="${rss[$label]}" \
      'BEGIN{printf "%-28s %-4s %8.0f MB/s  %6.1f MB RSS  (%.2f s)\n", n, l, b/1e6/(s>0?s:1e-9), k/1024, s}'
  done
}

out="$BENCH_WORK/ab-out.csv"
echo "inputs: $filter_csv ($csv_bytes bytes), $orders_csv; best of $runs, interleaved"
case_ "filter -> /dev/null" "$csv_bytes" both filter "$filter_csv" -o /dev/null -q
case_ "filter any column -> file" "$csv_bytes" both filter "$filter_csv" -o "$out" -q
case_ "report" "$orders_bytes" both report "$orders_csv" -o "$BENCH_WORK/ab-reports" --ingest-date 2026-11-30 -q
case_ "inspect" "$csv_bytes" both inspect "$filter_csv"
case_ "filter gzip -1 -> /dev/null" "$csv_bytes" new filter "$filter_csv.gz" -o /dev/null -q
case_ "filter zstd -3 -> /dev/null" "$csv_bytes" new filter "$filter_csv.zst" -o /dev/null -q
rm -rf "$out" "$BENCH_WORK/ab-reports"
