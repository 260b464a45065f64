#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, the Rust unit, property
# and integration tests (AWS ones against moto's server on 127.0.0.1,
# started and stopped here), and the offline infrastructure checks.
#   usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null  # nothing here reads stdin; tools that probe it get EOF

step() { printf '\n== %s\n' "$*" >&2; }

step "python tools (moto server, boto3)"
venv_bin="$(scripts/venv.sh test)"

step "moto server"
port="$("$venv_bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
"$venv_bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  if "$venv_bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { cat "$log" >&2; echo "moto server did not start" >&2; exit 1; }
  sleep 0.2
done
export SLUICE_TEST_ENDPOINT="http://127.0.0.1:$port"
export SLUICE_TEST_PYTHON="$venv_bin/python"
echo "moto on $SLUICE_TEST_ENDPOINT" >&2

step "cargo fmt"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "infrastructure (terraform fmt, checkov, provider schema, packaging scripts)"
bash infra/tests/run.sh
