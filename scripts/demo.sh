#!/usr/bin/env bash
# Sets up and runs the main job on the embedded default: the sample files
# in testdata/samples, filtered into out/filtered/.
#   usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice
bin="${CARGO_TARGET_DIR:-target}/release/sluice"
mkdir -p out/filtered
for f in testdata/samples/*.csv; do
  "$bin" filter "$f" -o "out/filtered/$(basename "$f")"
done
echo "results in out/filtered/:" && ls -l out/filtered
