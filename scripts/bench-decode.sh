#!/usr/bin/env bash
# Times the read path's decoding stage alone (crates/sluice/src/pipeline/decode.rs,
# `Decompress`), inline and on its own thread (runs interleaved), on gzip, zstd and
# bzip2 copies of the filter benchmark's CSV (scripts/bench.sh filter, ~1 GiB by
# default): gzip -1 (the copy bench-inspect.sh times), and each tool's default
# level (gzip -6, zstd -3, bzip2 -9). Prints the best of 5 runs (SLUICE_BENCH_RUNS)
# in MB/s of decompressed CSV, and the peak RSS; with --scan the engine's
# inspector also scans every chunk, as a job would.
#   usage: scripts/bench-decode.sh [--scan] [BYTES]      (default 1073741824)
set -euo pipefail
cd "$(dirname "$0")/.."

scan=0
if [ "${1:-}" = "--scan" ]; then
  scan=1
  shift
fi
bytes="${1:-1073741824}"
runs="${SLUICE_BENCH_RUNS:-5}"
work="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
TARGET="${CARGO_TARGET_DIR:-target}"
mkdir -p "$work"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
data="$work/filter-$bytes.csv"
generated gen_bench_csv "$bytes" "$data"

# packed FILE COMMAND...: writes FILE from the CSV with COMMAND unless it is there.
packed() {
  local file="$1"
  shift
  [ -s "$file" ] && return 0
  echo "compressing $file" >&2
  "$@" <"$data" >"$file.tmp" && mv "$file.tmp" "$file"
}
packed "$data.gz" gzip -1 -c # the copy bench-inspect.sh times
packed "$work/filter-$bytes.6.csv.gz" gzip -6 -c
packed "$data.zst" zstd -3 -q -c
packed "$data.bz2" bzip2 -9 -c

files=("$data.gz" "$work/filter-$bytes.6.csv.gz" "$data.zst" "$data.bz2")
# The test binary itself, so no run waits on cargo's lock behind another build.
bench_bin="$(cargo test --release -p sluice --bin sluice --no-run --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("executable") and m["target"]["name"] == "sluice": print(m["executable"])')"
echo "decode stage$([ "$scan" = 1 ] && echo " + engine scan"), best of $runs ($(nproc) cores, page-cached input):"
for file in "${files[@]}"; do
  cat "$file" >/dev/null # page cache: time the decoding, not the disk
  # One process per file, so each peak RSS is that codec's own.
  SLUICE_DECODE_BENCH="$file" SLUICE_DECODE_SCAN="$scan" SLUICE_BENCH_RUNS="$runs" \
    "$bench_bin" --exact pipeline::decode::tests::bench_decompress --ignored --nocapture |
    grep 'MB/s' | sed "s|\$|  $(basename "$file")|"
done
