#!/usr/bin/env bash
# Sets up and runs the main job on the embedded default: the folder
# testdata/samples watched like a bucket, each CSV in it filtered into
# out/filtered/ (rejected rows under out/filtered/_rejects/).
#   usage: scripts/demo.sh            process the samples once and exit
#          scripts/demo.sh --watch    keep watching for new files (Ctrl-C to stop)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice
bin="${CARGO_TARGET_DIR:-target}/release/sluice"
mode=--once
[ "${1:-}" = "--watch" ] && mode=
# shellcheck disable=SC2086  # an empty mode is meant to vanish
"$bin" watch testdata/samples -o out/filtered $mode
echo
for f in out/filtered/*.csv; do
  echo "== $f"
  cat "$f"
done
