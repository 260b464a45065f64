#!/usr/bin/env bash
# S3 → S3 throughput of the filter (--columns 1) and report jobs on a ~1 GiB object, read as
# byte ranges and written in parts over 1, 2, 4, 8 and 16 connections (--s3-connections):
#   - through crates/throttle, which gives each connection a network like a Lambda function's
#     to S3 (40 MB/s, 20 ms per request; SLUICE_BENCH_MB_PER_SEC, SLUICE_BENCH_LATENCY_MS);
#   - straight to the server (no throttle), beside the same job on the local file.
# The server is s3s-fs (crates.io, its `binary` feature), installed once into
# SLUICE_BENCH_TOOLS (default ~/.cache/sluice-bench-tools), outside the repository; it stores
# objects as files under the benchmark folder and shares this machine's cores with sluice.
# Prints MB/s end to end (input bytes over wall time), peak RSS, the ratio to one
# connection and sluice's own CPU time (user + system); unthrottled runs are the best of SLUICE_BENCH_RUNS (3). Run it alone:
#   flock /tmp/sluice-bench.lock scripts/bench-s3.sh [BYTES]     (default 1073741824)
set -euo pipefail
cd "$(dirname "$0")/.."

bytes="${1:-1073741824}"
levels="${SLUICE_BENCH_CONNECTIONS:-1 2 4 8 16}"
runs="${SLUICE_BENCH_RUNS:-3}"
rate="${SLUICE_BENCH_MB_PER_SEC:-40}"
latency="${SLUICE_BENCH_LATENCY_MS:-20}"
tools="${SLUICE_BENCH_TOOLS:-$HOME/.cache/sluice-bench-tools}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
cargo build --release -p sluice-throttle >&2
throttle="$TARGET/release/sluice-throttle"
if [ ! -x "$tools/bin/s3s-fs" ]; then
  # 0.14.1: the newest release that builds with this toolchain (1.95).
  cargo install s3s-fs@0.14.1 --features binary --locked --root "$tools" >&2
fi
py="$(scripts/venv.sh test)/python" # boto3, to upload the inputs
declare -A data=([filter]="$BENCH_WORK/filter-$bytes.csv" [report]="$BENCH_WORK/report-$bytes.csv")
generated gen_bench_csv "$bytes" "${data[filter]}"
generated gen_orders_csv "$bytes" "${data[report]}"

store="$BENCH_WORK/s3s-fs"
rm -rf "$store"
mkdir -p "$store"
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$store"
}
trap cleanup EXIT
port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
"$tools/bin/s3s-fs" --host 127.0.0.1 --port "$port" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$store" \
  >"$BENCH_WORK/s3s-fs.log" 2>&1 &
pids+=($!)
server="http://127.0.0.1:$port"
"$throttle" --upstream "127.0.0.1:$port" --mb-per-sec "$rate" --latency-ms "$latency" \
  >"$BENCH_WORK/throttle.addr" &
pids+=($!)

echo "uploading the inputs to s3s-fs" >&2
"$py" - "$server" "${data[filter]}" "${data[report]}" <<'PY'
import sys, time, boto3
from boto3.s3.transfer import TransferConfig
server, filter_csv, report_csv = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=server)
for _ in range(100):
    try:
        s3.create_bucket(Bucket="bench")
        break
    except Exception:
        time.sleep(0.1)
config = TransferConfig(multipart_chunksize=64 << 20)
# Under their file names: the reports are named after their input.
for path in (filter_csv, report_csv):
    s3.upload_file(path, "bench", path.rsplit("/", 1)[-1], Config=config)
PY
throttled="http://$(head -n 1 "$BENCH_WORK/throttle.addr")"

# measure ARGV...: runs ARGV under GNU time; prints "SECONDS PEAK_KB CPU_SECONDS".
measure() {
  local out
  out="$(/usr/bin/time -f '@@ %e %M %U %S' "$@" 2>&1 >/dev/null)" || {
    echo "failed: $* $out" >&2
    exit 1
  }
  grep '^@@ ' <<<"$out" | tail -n 1 | awk '{ print $2, $3, $4 + $5 }'
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

# row NETWORK JOB CONNECTIONS "SECONDS KB CPU" BASE_SECONDS: one line of the table.
row() {
  local seconds kb cpu
  read -r seconds kb cpu <<<"$4"
  awk -v n="$1" -v j="$2" -v c="$3" -v s="$seconds" -v kb="$kb" -v cpu="$cpu" -v base="$5" -v b="$bytes" \
    'BEGIN { printf "%-16s %-7s %6s %9.0f %12.1f %10.2fx %12.2f\n", n, j, c, b / 1e6 / s, kb / 1024, base / s, cpu }'
}

declare -A unthrottled # JOB: its 8-connection result without the throttle
printf '%-16s %-7s %6s %9s %12s %11s %12s\n' network job conns "MB/s" "peak RSS MB" "vs 1 conn" "sluice CPU s"
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
