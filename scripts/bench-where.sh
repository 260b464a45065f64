#!/usr/bin/env bash
# Times `sluice filter --where` on the filter benchmark's generated CSV (scripts/bench.sh filter,
# ~1 GiB by default) beside today's `--columns` filter, DuckDB and (when installed) xan running the
# same predicates: best of 5 runs, interleaved, writing to /dev/null, page-cached input.
#   usage: scripts/bench-where.sh [BYTES]      (default 1073741824)
# xan is optional: `cargo install xan` puts it on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

bytes="${1:-1073741824}"
runs=5
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
bin="$(scripts/venv.sh bench)"
work="$BENCH_WORK" sluice="$SLUICE"
data="$work/filter-$bytes.csv"
generated gen_bench_csv "$bytes" "$data"
cat "$data" >/dev/null # page cache: time the scan, not the disk

one='value > 4.7'
four="tag = 'west' AND label IN ('alpha', 'bravo', 'charlie') AND x2 BETWEEN 1 AND 4 AND comment LIKE 'note 1%'"
# DuckDB reads every column as text and compares numbers as decimals, as sluice does.
duck_one="TRY_CAST(value AS DECIMAL(18,2)) > 4.7"
duck_four="tag = 'west' AND label IN ('alpha', 'bravo', 'charlie') AND TRY_CAST(x2 AS DECIMAL(18,2)) BETWEEN 1 AND 4 AND comment LIKE 'note 1%'"
xan_one='value > 4.7'
xan_four='tag eq "west" && (label eq "alpha" || label eq "bravo" || label eq "charlie") && x2 >= 1 && x2 <= 4 && startswith(comment, "note 1")'

# Each case: a label and the command, run by bash -c with the data file as $1.
labels=() commands=()
add() { labels+=("$1"); commands+=("$2"); }
add "sluice --columns value" "'$sluice' filter -q --columns value \"\$1\" -o /dev/null"
add "sluice --where (1 term)" "'$sluice' filter -q --where '$one' \"\$1\" -o /dev/null"
add "sluice --where (4 terms)" "'$sluice' filter -q --where \"$four\" \"\$1\" -o /dev/null"
# shellcheck disable=SC2016  # the Python code and "$1" are expanded by bash -c and Python, not here
duck() {
  printf '%q -c %q "$1" %q' "$bin/python" \
    'import sys, duckdb; duckdb.sql("SET enable_progress_bar = false"); duckdb.sql(f"COPY (SELECT * FROM read_csv(\"{sys.argv[1]}\", all_varchar=true) WHERE {sys.argv[2]}) TO \"/dev/null\" (FORMAT csv, HEADER)")' "$1"
}
add "duckdb (1 term)" "$(duck "$duck_one")"
add "duckdb (4 terms)" "$(duck "$duck_four")"
if command -v xan >/dev/null; then
  add "xan (1 term)" "xan filter '$xan_one' \"\$1\" >/dev/null"
  add "xan (4 terms)" "xan filter '$xan_four' \"\$1\" >/dev/null"
else
  echo "(xan not installed: cargo install xan to compare with it)" >&2
fi

declare -a best
for _ in $(seq "$runs"); do
  for i in "${!commands[@]}"; do
    start="$(date +%s.%N)"
    bash -c "${commands[$i]}" bench "$data"
    secs="$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')"
    if [ -z "${best[$i]:-}" ] || awk -v a="$secs" -v b="${best[$i]}" 'BEGIN {exit !(a < b)}'; then
      best[i]="$secs"
    fi
  done
done

size="$(stat -L -c %s "$data")"
echo "filter --where, best of $runs interleaved ($(nproc) cores, page-cached input, output to /dev/null):"
for i in "${!commands[@]}"; do
  awk -v l="${labels[$i]}" -v s="${best[$i]}" -v f="$size" 'BEGIN {
    printf "%-26s %7.3f s  %7.0f MB/s\n", l, s, f / s / 1e6 }'
done
