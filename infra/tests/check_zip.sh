#!/usr/bin/env bash
# Check a Lambda zip: `bootstrap` at its root, executable, an aarch64 ELF.
set -euo pipefail

usage() {
  echo "Usage: infra/tests/check_zip.sh [ZIP]   (default dist/sluice-lambda-arm64.zip)"
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
esac
if [[ $# -gt 1 ]]; then
  usage >&2
  exit 2
fi

zip_path="${1:-dist/sluice-lambda-arm64.zip}"
if [[ ! -f "$zip_path" ]]; then
  echo "check_zip: $zip_path not found" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unzip -q "$zip_path" -d "$work"

fail() {
  echo "check_zip: $zip_path: $*" >&2
  exit 1
}

[[ -f "$work/bootstrap" ]] || fail "no bootstrap at the zip root"
[[ -x "$work/bootstrap" ]] || fail "bootstrap is not executable (zip it with its mode bits)"

# ELF magic, then e_machine (2 bytes at offset 18, little-endian): 183 is EM_AARCH64.
python3 - "$work/bootstrap" <<'PY' || fail "bootstrap is not an aarch64 ELF executable"
import struct, sys
with open(sys.argv[1], "rb") as f:
    head = f.read(20)
if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] != 1:
    sys.exit(1)
(machine,) = struct.unpack_from("<H", head, 18)
sys.exit(0 if machine == 183 else 1)
PY

size="$(wc -c <"$zip_path" | tr -d ' ')"
echo "check_zip: $zip_path ok: aarch64 ELF bootstrap, $size bytes"
