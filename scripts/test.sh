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
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
start_moto "$venv_bin"
export SLUICE_TEST_ENDPOINT="$MOTO_URL"
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
# The memory test (aws_lambda_memory::) is left out: under emulation it would measure qemu.
SLUICE_TEST_BIN="$pkg/run" cargo test --locked --test integration -- aws_lambda::
rm -rf "$pkg"
