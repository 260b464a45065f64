#!/usr/bin/env bash
# Build the Lambda package: an arm64 `bootstrap` in a zip, at dist/sluice-lambda-arm64.zip.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/package-zip.sh [-h]

Cross-compiles the `sluice` binary for Lambda (provided.al2023, arm64) with
cargo-lambda (`pip install cargo-lambda`, which brings zig) and copies the zip
to dist/sluice-lambda-arm64.zip. Honours CARGO_TARGET_DIR.
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

if ! command -v cargo-lambda >/dev/null 2>&1; then
  echo "package-zip: cargo-lambda not found; install it with: pip install cargo-lambda" >&2
  exit 1
fi

cargo lambda build --release --arm64 --bin sluice --output-format zip

target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
built="$target_dir/lambda/sluice/bootstrap.zip"
if [[ ! -f "$built" ]]; then
  echo "package-zip: expected $built after the build, found nothing" >&2
  exit 1
fi

mkdir -p dist
cp "$built" dist/sluice-lambda-arm64.zip
size="$(wc -c <dist/sluice-lambda-arm64.zip | tr -d ' ')"
echo "dist/sluice-lambda-arm64.zip: $size bytes"
