#!/usr/bin/env bash
# Sets up and runs every test: formatting, lints, the Rust unit, property
# and integration tests (AWS ones against moto's server on 127.0.0.1,
# started and stopped here), the offline infrastructure checks, and the
# arm64 Lambda zip build with its check.
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

step "engine on aarch64 (the Lambda's NEON code path) under qemu"
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  # Debian's cross compiler and user-mode qemu; CI runs as root.
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; } >&2
fi
rustup target add aarch64-unknown-linux-gnu >&2
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
  cargo test --locked --release --target aarch64-unknown-linux-gnu -p sluice-engine

step "infrastructure (terraform fmt, checkov, provider schema, packaging scripts)"
bash infra/tests/run.sh

step "Lambda package: arm64 zip cross-built with cargo-lambda, checked"
PATH="$(scripts/venv.sh package):$PATH" scripts/package-zip.sh
bash infra/tests/check_zip.sh dist/sluice-lambda-arm64.zip

step "the packaged arm64 bootstrap through the Lambda Runtime API, against moto, under qemu"
pkg="$(mktemp -d)"
unzip -q dist/sluice-lambda-arm64.zip -d "$pkg"
printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu %s/bootstrap "$@"\n' "$pkg" >"$pkg/run"
chmod +x "$pkg/run"
# The memory test is left out: under emulation it would measure qemu.
SLUICE_TEST_BIN="$pkg/run" cargo test --locked --test integration -- aws_lambda:: --skip large
rm -rf "$pkg"
