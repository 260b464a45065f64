#!/usr/bin/env bash
# The report job's memory per distinct group: each binary given runs the
# report over an orders file with GROUPS distinct (region, category,
# sub-category, ship mode) keys and over a file of the same size with the
# usual ~500, and the peak RSS (GNU time) of both is printed with the
# difference per group — what the groups cost, the process's base apart.
#   usage: scripts/bench-groups.sh [-g GROUPS] [-s PER_SUB] [-b BYTES] BIN...
#          (defaults: 1000000 groups, 30 groups per sub-category
#           (1 = every group its own), 340000000 bytes: ~2 rows a group)
set -euo pipefail
cd "$(dirname "$0")/.."
groups=1000000
per_sub=30
bytes=340000000
while getopts "g:s:b:" opt; do
  case "$opt" in
    g) groups="$OPTARG" ;;
    s) per_sub="$OPTARG" ;;
    b) bytes="$OPTARG" ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: scripts/bench-groups.sh [-g GROUPS] [-s PER_SUB] [-b BYTES] BIN..." >&2; exit 2; }
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
BENCH_WORK="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
export TARGET="${CARGO_TARGET_DIR:-target}"  # read by lib.sh's generated
mkdir -p "$BENCH_WORK"
if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi
few="$BENCH_WORK/report-$bytes.csv"
many="$BENCH_WORK/groups-$groups-$per_sub-$bytes.csv"
generated gen_orders_csv "$bytes" "$few"
if [ ! -s "$many" ]; then
  echo "generating $many" >&2
  "$TARGET/release/examples/gen_orders_csv" "$bytes" 1 "$groups" "$per_sub" >"$many.tmp"
  mv "$many.tmp" "$many"
fi
out="$BENCH_WORK/groups-reports"
trap 'rm -rf "$out"' EXIT

# run BIN FILE: prints "seconds rss_kb" of one report run.
run() {
  rm -rf "$out"
  /usr/bin/time -o "$BENCH_WORK/time.txt" -f '%e %M' \
    "$1" report "$2" -o "$out" --ingest-date 2026-11-30 -q >/dev/null
  cat "$BENCH_WORK/time.txt"
}

echo "inputs: $many ($groups groups, $per_sub per sub-category), $few (~500 groups); $bytes bytes each"
for bin in "$@"; do
  read -r secs_many kb_many < <(run "$bin" "$many")
  read -r secs_few kb_few < <(run "$bin" "$few")
  awk -v b="$bin" -v g="$groups" -v km="$kb_many" -v kf="$kb_few" -v sm="$secs_many" -v sf="$secs_few" \
    'BEGIN{printf "%-40s %8.1f MB RSS (%.2f s) | few groups %6.1f MB (%.2f s) | %5.0f bytes/group\n",
           b, km/1024, sm, kf/1024, sf, (km-kf)*1024/g}'
done
