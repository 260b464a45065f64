#!/usr/bin/env bash
# S3 → S3 throughput of the filter (--columns 1) and report jobs on a ~1 GiB object, read as
# byte ranges and written in parts over 1, 2, 4, 8 and 16 connections (--s3-connections):
#   - through crates/throttle, which gives each connection a network like a Lambda function's
#     to S3 (40 MB/s, 20 ms per request; SLUICE_BENCH_MB_PER_SEC, SLUICE_BENCH_LATENCY_MS);
#   - straight to the server (no throttle), beside the same job on the local file.
# The server is crates/bench-s3, a lean S3-compatible server over a folder (ranges sent with
# sendfile, parts joined with copy_file_range): it shares this machine's two cores with sluice,
# so it must cost little for the benchmark to measure sluice. SLUICE_BENCH_SERVER_CPU pins it
# to one CPU (taskset), e.g. 1, to give it a core of its own.
# Prints MB/s end to end (input bytes over wall time), peak RSS, the ratio to one connection,
# sluice's own CPU time (user + system) and the server's; unthrottled runs are the best of
# SLUICE_BENCH_RUNS (3). Run it alone:
#   flock /tmp/sluice-bench.lock scripts/bench-s3.sh [BYTES]     (default 1073741824)
set -euo pipefail
cd "$(dirname "$0")/.."

bytes="${1:-1073741824}"
levels="${SLUICE_BENCH_CONNECTIONS:-1 2 4 8 16}"
runs="${SLUICE_BENCH_RUNS:-3}"
rate="${SLUICE_BENCH_MB_PER_SEC:-40}"
latency="${SLUICE_BENCH_LATENCY_MS:-20}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
cargo build --release -p sluice-throttle -p sluice-bench-s3 >&2
throttle="$TARGET/release/sluice-throttle"
declare -A data=([filter]="$BENCH_WORK/filter-$bytes.csv" [report]="$BENCH_WORK/report-$bytes.csv")
generated gen_bench_csv "$bytes" "${data[filter]}"
generated gen_orders_csv "$bytes" "${data[report]}"

store="$BENCH_WORK/bench-s3"
rm -rf "$store"
mkdir -p "$store/bench"
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$store"
}
trap cleanup EXIT
# The inputs are the server's objects as they are: linked, not uploaded.
for job in filter report; do
  ln "${data[$job]}" "$store/bench/" 2>/dev/null || cp "${data[$job]}" "$store/bench/"
done
# wait_for_line FILE: waits up to 10 s for a program to print its address into FILE.
wait_for_line() {
  local i
  for ((i = 0; i < 100; i++)); do
    if [ -s "$1" ]; then return 0; fi
    sleep 0.1
  done
  echo "nothing printed into $1" >&2
  exit 1
}

rm -f "$BENCH_WORK/server.addr" "$BENCH_WORK/throttle.addr" # a last run's addresses
pin=()
if [ -n "${SLUICE_BENCH_SERVER_CPU:-}" ]; then pin=(taskset -c "$SLUICE_BENCH_SERVER_CPU"); fi
"${pin[@]}" "$TARGET/release/sluice-bench-s3" --root "$store" >"$BENCH_WORK/server.addr" \
  2>"$BENCH_WORK/server.log" &
server_pid=$!
pids+=("$server_pid")
wait_for_line "$BENCH_WORK/server.addr"
server="http://$(head -n 1 "$BENCH_WORK/server.addr")"
"$throttle" --upstream "${server#http://}" --mb-per-sec "$rate" --latency-ms "$latency" \
  >"$BENCH_WORK/throttle.addr" &
pids+=($!)
wait_for_line "$BENCH_WORK/throttle.addr"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
throttled="http://$(head -n 1 "$BENCH_WORK/throttle.addr")"

# server_cpu: the server's CPU seconds so far (user + system).
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

# measure ARGV...: runs ARGV under GNU time; prints "SECONDS PEAK_KB CPU_SECONDS SERVER_CPU".
measure() {
  local out before
  before="$(server_cpu)"
  out="$(/usr/bin/time -f '@@ %e %M %U %S' "$@" 2>&1 >/dev/null)" || {
    echo "failed: $* $out" >&2
    exit 1
  }
  grep '^@@ ' <<<"$out" | tail -n 1 |
    awk -v s="$(server_cpu)" -v b="$before" '{ print $2, $3, $4 + $5, s - b }'
}

# best N ARGV...: the fastest of N runs, as measure prints it.
best() {
  local n="$1" i
  shift
  for ((i = 0; i < n; i++)); do measure "$@"; done | sort -n | head -n 1
}

# job_argv JOB SOURCE: the command of JOB reading SOURCE (an s3:// URL or a file).
job_argv() {
  local job="$1" src="$2" out
  case "$src" in
    s3://*) out="s3://bench/out/$job" ;;
    *) out="$BENCH_WORK/out-$job" ;;
  esac
  case "$job" in
    filter) argv=("$SLUICE" filter --columns 1 -q "$src" -o "$out.csv") ;;
    report) argv=("$SLUICE" report -q "$src" -o "$out/" --ingest-date 2026-01-01) ;;
  esac
}

# row NETWORK JOB CONNECTIONS "SECONDS KB CPU SERVER_CPU" BASE_SECONDS: one line of the table.
row() {
  local seconds kb cpu server
  read -r seconds kb cpu server <<<"$4"
  awk -v n="$1" -v j="$2" -v c="$3" -v s="$seconds" -v kb="$kb" -v cpu="$cpu" -v srv="$server" \
    -v base="$5" -v b="$bytes" 'BEGIN { printf "%-16s %-7s %6s %9.0f %12.1f %10.2fx %12.2f %12s\n",
      n, j, c, b / 1e6 / s, kb / 1024, base / s, cpu, srv }'
}

declare -A unthrottled # JOB: its 8-connection result without the throttle
printf '%-16s %-7s %6s %9s %12s %11s %12s %12s\n' network job conns "MB/s" "peak RSS MB" "vs 1 conn" \
  "sluice CPU s" "server CPU s"
for network in throttled direct; do
  if [ "$network" = throttled ]; then
    endpoint="$throttled" label="$rate MB/s+${latency}ms" n=1
  else
    endpoint="$server" label="none" n="$runs"
  fi
  for job in filter report; do
    base=""
    for c in $levels; do
      job_argv "$job" "s3://bench/$(basename "${data[$job]}")"
      result="$(AWS_ENDPOINT_URL="$endpoint" best "$n" "${argv[@]}" --s3-connections "$c")"
      base="${base:-${result%% *}}"
      row "$label" "$job" "$c" "$result" "$base"
      if [ "$network" = direct ] && [ "$c" = 8 ]; then unthrottled[$job]="$result"; fi
    done
  done
done

# The same jobs on the local, page-cached file; the S3 results must match its.
rm -rf "$BENCH_WORK/out-report" # a last run's reports, of other inputs
for job in filter report; do
  cat "${data[$job]}" >/dev/null
  job_argv "$job" "${data[$job]}"
  local_result="$(best "$runs" "${argv[@]}")"
  row "local file" "$job" "-" "$local_result" "${local_result%% *}"
  direct="${unthrottled[$job]:-}"
  [ -n "$direct" ] || continue
  awk -v s="${direct%% *}" -v l="${local_result%% *}" -v j="$job" \
    'BEGIN { printf "  %s: S3 -> S3 unthrottled, 8 connections, at %.0f%% of the local file'"'"'s speed\n", j, 100 * l / s }'
done
cmp "$store/bench/out/filter.csv" "$BENCH_WORK/out-filter.csv"
diff -r -x _rejects "$store/bench/out/report" "$BENCH_WORK/out-report"
echo "results: S3 and local outputs identical" >&2
