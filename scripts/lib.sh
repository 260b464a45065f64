# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# Shared by the test and benchmark scripts (sourced, not run).

# start_moto VENV_BIN: starts moto's server on a free port of 127.0.0.1,
# stops it when the calling script exits, and sets MOTO_URL.
start_moto() {
  local bin="$1" port log
  port="$("$bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log="$(mktemp)"
  "$bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  MOTO_LOG="$log"
  trap 'kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; rm -f "$MOTO_LOG"' EXIT
  MOTO_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if "$bin/python" -c "import urllib.request; urllib.request.urlopen('$MOTO_URL/moto-api/')" 2>/dev/null; then
      return 0
    fi
    kill -0 "$MOTO_PID" 2>/dev/null || { cat "$log" >&2; echo "moto server did not start" >&2; exit 1; }
    sleep 0.2
  done
  echo "moto server did not answer on $MOTO_URL" >&2
  exit 1
}

# bench_setup: the benchmarks' folder (BENCH_WORK), build folder (TARGET),
# GNU time, and the release binary (SLUICE).
bench_setup() {
  BENCH_WORK="${SLUICE_BENCH_DIR:-${TMPDIR:-/tmp}/sluice-bench}"
  mkdir -p "$BENCH_WORK"
  TARGET="${CARGO_TARGET_DIR:-target}"
  if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
  fi
  cargo build --release -p sluice --bin sluice >&2
  SLUICE="$TARGET/release/sluice"
}

# generated GENERATOR BYTES FILE: writes FILE with an engine example
# generator (gen_bench_csv, gen_orders_csv) unless it is there already.
generated() {
  local generator="$1" bytes="$2" file="$3"
  [ -s "$file" ] && return 0
  cargo build --release -p sluice-engine --example "$generator" >&2
  echo "generating $file" >&2
  "$TARGET/release/examples/$generator" "$bytes" >"$file.tmp" && mv "$file.tmp" "$file"
}
