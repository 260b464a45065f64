#!/usr/bin/env bash
# Measures a prefix run (`sluice filter s3://src/in/ -o s3://dst/out/`)
# over many small objects in moto on 127.0.0.1: objects/s for the first
# run and for the re-run, where every object is skipped by its manifest.
# A third, recorded run (moto's request recorder) counts what a re-run
# asks of S3: listing pages, manifest requests, reads of sources.
#   usage: scripts/bench-prefix.sh [OBJECTS] [PARALLEL]   (default 10000 and 16)
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

objects="${1:-10000}"
parallel="${2:-16}"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
bench_setup
work="$BENCH_WORK" sluice="$SLUICE"
bin="$(scripts/venv.sh test)"

# The recorder writes its log in moto's working folder.
cd "$work"
start_moto "$bin"
cd - >/dev/null
export AWS_ENDPOINT_URL="$MOTO_URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export SLUICE_LOG_LEVEL=warn

echo "uploading $objects objects" >&2
"$bin/python" - "$objects" <<'PY'
import sys, boto3
from concurrent.futures import ThreadPoolExecutor
s3 = boto3.client("s3")
for b in ("bench-src", "bench-dst"):
    s3.create_bucket(Bucket=b)
def put(n):
    body = f"id,value\n{n},1\n{n},250.5\n{n},99\n".encode()
    s3.put_object(Bucket="bench-src", Key=f"in/obj-{n:06d}.csv", Body=body)
with ThreadPoolExecutor(32) as pool:
    list(pool.map(put, range(int(sys.argv[1]))))
PY

# run LABEL: one prefix run, its time and rate.
run() {
  local label="$1" start end
  start=$(date +%s.%N)
  "$sluice" filter s3://bench-src/in/ -o s3://bench-dst/out/ --threshold 100 --parallel "$parallel" -q
  end=$(date +%s.%N)
  awk -v l="$label" -v n="$objects" -v s="$start" -v e="$end" \
    'BEGIN { t = e - s; printf "%-40s %6d objects %8.2f s %8.0f objects/s\n", l, n, t, n / t }'
}

# Both timed runs hold the benchmark lock (no other helper measures meanwhile);
# the clock starts once it is held.
exec 9>/tmp/sluice-bench.lock
flock 9
run "first run (parallel $parallel)"
run "re-run: every object skipped"
flock -u 9

recorder() { "$bin/python" -c "import urllib.request as u; print(u.urlopen(u.Request('$MOTO_URL/moto-api/recorder/$1', method='$2')).read().decode())"; }
recorder reset-recording POST >/dev/null
recorder start-recording POST >/dev/null
"$sluice" filter s3://bench-src/in/ -o s3://bench-dst/out/ --threshold 100 --parallel "$parallel" -q
recorder stop-recording POST >/dev/null
recorder download-recording GET | "$bin/python" -c '
import sys, json
lists = manifests = sources = other = 0
for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    url, method = r["url"], r["method"]
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    if "list-type=2" in url:
        lists += 1
    elif path.startswith("bench-dst/out/_sluice/manifests/"):
        manifests += 1
    elif path.startswith("bench-src/in/"):
        sources += 1
    else:
        other += 1
print(f"recorded re-run: {lists} listing pages, {manifests} manifest requests, "
      f"{sources} source requests, {other} other")
'
