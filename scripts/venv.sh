#!/usr/bin/env bash
# Creates (once) the Python environment the tests and benchmarks use and
# prints its bin directory. Packages are pinned; the venv lives outside the
# clone so CI runs and developers reuse it.
#   usage: scripts/venv.sh [test|bench]...
set -euo pipefail

venv="${SLUICE_VENV:-$HOME/.cache/sluice-venv}"
declare -A groups=(
  [test]="moto[server]==5.2.5 boto3==1.44.5 pandas==3.1.1 duckdb==2.0.1"
  [bench]="pandas==3.1.1 polars==2.1.0 duckdb==2.0.1 matplotlib==3.11.2"
  [package]="cargo-lambda==1.9.2"
)

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
for group in "${@:-test}"; do
  stamp="$venv/.installed-$group"
  want="${groups[$group]:?unknown group $group}"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # shellcheck disable=SC2086  # the package list is meant to split
    "$venv/bin/pip" install --quiet $want >&2
    printf '%s' "$want" >"$stamp"
  fi
done
echo "$venv/bin"
