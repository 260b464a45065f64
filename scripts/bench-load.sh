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
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
work="$BENCH_WORK" sluice="$SLUICE"
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

start_moto "$bin"
export AWS_ENDPOINT_URL="$MOTO_URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
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
