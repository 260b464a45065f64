#!/usr/bin/env bash
# Build a Lambda layer zip with `bootstrap` at its root (it lands at /opt/bootstrap).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/package-layer.sh [-h] [--no-build]

Builds dist/sluice-lambda-arm64.zip with scripts/package-zip.sh (unless --no-build
and the zip exists), then repackages its `bootstrap` as the layer zip
dist/sluice-layer-arm64.zip for the function module's package_type = "layer".
USAGE
}

build=1
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --no-build) build=0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

function_zip=dist/sluice-lambda-arm64.zip
layer_zip=dist/sluice-layer-arm64.zip

if [[ "$build" -eq 1 || ! -f "$function_zip" ]]; then
  scripts/package-zip.sh
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

unzip -q "$function_zip" bootstrap -d "$work"
chmod 0755 "$work/bootstrap"
rm -f "$layer_zip"
# -X: no extra file attributes, so the same binary gives the same zip.
(cd "$work" && zip -q -X "$repo_root/$layer_zip" bootstrap)

size="$(wc -c <"$layer_zip" | tr -d ' ')"
echo "$layer_zip: $size bytes (bootstrap at the zip root -> /opt/bootstrap)"
