#!/usr/bin/env bash
# Measures the load job: the client side alone (`sluice load --dry-run`:
# parse, type, check and build every item, no DynamoDB) in rows/s, then
# items/s into moto's DynamoDB on 127.0.0.1 in replace mode (BatchWriteItem)
# and merge mode (UpdateItem), each with its peak RSS. Release build.
#   usage: scripts/bench-load.sh [ROWS] [MERGE_ROWS]   (default 1000000 and 10000;
#          moto is loaded with 100,000 rows, or ROWS if fewer)
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

rows="${1:-1000000}"
merge_rows="${2:-10000}"
moto_rows=$((rows < 100000 ? rows : 100000))
work="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
mkdir -p "$work"
target="${CARGO_TARGET_DIR:-target}"

if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi
cargo build --release -p sluice >&2
sluice="$target/release/sluice"
bin="$(scripts/venv.sh test)"

# customer_id plus a string, two integers, a decimal, a boolean and a quoted text with a comma.
generate() { # generate ROWS FILE
  [ -s "$2" ] && return
  awk -v n="$1" 'BEGIN {
    print "customer_id,name,age,visits,balance,active,note"
    for (i = 0; i < n; i++)
      printf "c%08d,Name %d,%d,%d,%d.%02d,%s,\"Note %d, kept\"\n", i, i, 18 + i % 70, i % 1000, i * 7, i % 100, (i % 2 ? "true" : "false"), i
  }' >"$2.tmp" && mv "$2.tmp" "$2"
}

# run LABEL ITEMS COMMAND...: prints seconds, rate and peak RSS.
run() {
  local label="$1" items="$2"
  shift 2
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$@" -q
  end=$(date +%s.%N)
  awk -v l="$label" -v n="$items" -v s="$start" -v e="$end" -v kb="$(cat "$work/rss")" \
    'BEGIN { t = e - s; printf "%-34s %9d rows %8.2f s %10.0f /s  peak RSS %5.1f MB\n", l, n, t, n / t, kb / 1024 }'
}

data="$work/load-$rows.csv"
generate "$rows" "$data"
run "engine + items, no DynamoDB" "$rows" "$sluice" load --dry-run --table bench "$data"

port="$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 100); do
  "$bin/python" -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/')" 2>/dev/null && break
  sleep 0.2
done
"$bin/python" - <<'PY'
import boto3
d = boto3.client("dynamodb")
for t in ("bench_replace", "bench_merge"):
    d.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "customer_id", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "customer_id", "AttributeType": "S"}])
PY
head -n $((moto_rows + 1)) "$data" >"$work/load-moto.csv"
head -n $((merge_rows + 1)) "$data" >"$work/load-merge.csv"
run "moto, replace (BatchWriteItem)" "$moto_rows" "$sluice" load --replace --table bench_replace "$work/load-moto.csv"
run "moto, merge (UpdateItem)" "$merge_rows" "$sluice" load --table bench_merge "$work/load-merge.csv"
