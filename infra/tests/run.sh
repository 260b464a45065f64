#!/usr/bin/env bash
# Offline checks of infra/ and the packaging scripts. Closes with "infra: N passed, M failed".
#
# Tools live in a venv outside the repo ($SLUICE_INFRA_VENV, default
# ~/.cache/sluice-venv-infra), installed on first use from PyPI at pinned versions:
#   checkov                  security checks of the examples with their modules
#   python-hcl2              HCL parser for schema_check.py. Installed with --target into
#                            a directory of its own: checkov depends on bc-python-hcl2,
#                            a fork that owns the same `hcl2` import name.
#   cdktf-cdktf-provider-aws the AWS provider schemas, 5.99.1 in 19.65.1 and 6.25.0 in 21.22.1
#                            (the newest 21.x, the last release: cdktf's prebuilt providers
#                            ended in December 2025). Only the wheels are kept, in
#                            $venv/wheels: schema_check.py reads the jsii assembly inside.
# test_routing.py runs with the tests' venv (scripts/venv.sh test: moto, boto3), moto in-process;
# test_metrics.py (with dashboard_check.py) with this venv's python-hcl2.
set -euo pipefail

usage() {
  echo "Usage: infra/tests/run.sh    (no arguments; run from anywhere)"
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

CHECKOV_VERSION=3.3.30
HCL2_VERSION=8.1.4
CDKTF_AWS5_VERSION=19.65.1
CDKTF_AWS6_VERSION=21.22.1

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
venv="${SLUICE_INFRA_VENV:-$HOME/.cache/sluice-venv-infra}"
tf_dir=infra/terraform
wheel() { echo "$venv/wheels/cdktf_cdktf_provider_aws-$1-py3-none-any.whl"; }

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# --- Tools ------------------------------------------------------------------------------

setup_venv() {
  local stamp="$venv/.sluice-infra-pins"
  local pins="checkov==$CHECKOV_VERSION python-hcl2==$HCL2_VERSION"
  pins+=" cdktf-cdktf-provider-aws==$CDKTF_AWS5_VERSION cdktf-cdktf-provider-aws==$CDKTF_AWS6_VERSION"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$pins" ]]; then
    return
  fi
  echo "run.sh: installing $pins into $venv"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  rm -rf "$venv/python-hcl2"
  "$venv/bin/pip" install -q --disable-pip-version-check --target "$venv/python-hcl2" "python-hcl2==$HCL2_VERSION"
  # 54 and 59 MB wheels: kept, so that a rebuilt venv downloads neither again.
  mkdir -p "$venv/wheels"
  local v
  for v in "$CDKTF_AWS5_VERSION" "$CDKTF_AWS6_VERSION"; do
    [[ -f "$(wheel "$v")" ]] ||
      "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$venv/wheels" "cdktf-cdktf-provider-aws==$v"
  done
  echo "$pins" >"$stamp"
}

setup_venv
hcl_python() { PYTHONPATH="$venv/python-hcl2" "$venv/bin/python" "$@"; }
# The provider schemas that schema_check.py and its tests check against.
SLUICE_AWS_SCHEMAS="$(wheel "$CDKTF_AWS5_VERSION"):$(wheel "$CDKTF_AWS6_VERSION")"
export SLUICE_AWS_SCHEMAS

# Terraform reads no CLI configuration (and warns about none).
tf_config="$(mktemp)"
work="$(mktemp -d)"
trap 'rm -rf "$tf_config" "$work"' EXIT
export TF_CLI_CONFIG_FILE="$tf_config" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

# --- 1. Formatting ------------------------------------------------------------------------

tf_version="$(terraform version)"
tf_version="${tf_version%%$'\n'*}"
if terraform fmt -check -recursive -diff "$tf_dir"; then
  pass "terraform fmt -check -recursive $tf_dir ($tf_version)"
else
  fail "terraform fmt -check -recursive $tf_dir (run: terraform fmt -recursive $tf_dir)"
fi

# --- 2. Security: checkov on each example, which pulls in its modules ----------------------

for example in "$tf_dir"/examples/*/; do
  example="${example%/}"
  report="$work/checkov-$(basename "$example").json"
  BC_SKIP_MAPPING=TRUE "$venv/bin/checkov" -d "$example" --framework terraform --skip-download \
    --download-external-modules false -o json >"$report" 2>"$work/checkov.err" || true
  summary="$("$venv/bin/python" - "$report" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except ValueError:
    print("unreadable"); sys.exit()
data = data[0] if isinstance(data, list) else data
s = data["summary"]
print(f"{s['passed']} {s['failed']} {s['skipped']} {s['parsing_errors']} {s['resource_count']}")
for c in data["results"].get("failed_checks", []):
    print(f"  {c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})", file=sys.stderr)
PY
)"
  read -r ck_passed ck_failed ck_skipped ck_parse ck_resources <<<"$summary" || true
  if [[ "${ck_failed:-x}" == 0 && "${ck_parse:-x}" == 0 && "${ck_passed:-0}" -gt 0 ]]; then
    pass "checkov $example: $ck_passed passed, 0 failed, $ck_skipped skipped in-line ($ck_resources resources)"
  else
    fail "checkov $example: $summary"
    tail -5 "$work/checkov.err"
  fi
done

# --- 3. Schema, under AWS provider 5.x and 6.x: every aws_* argument, block and attribute
# read exists, required ones are present, none is deprecated in 6.x -----------------------

# add_tests NAME OUTPUT: shows a Python test file's lines and adds its closing
# "NAME tests: N passed, M failed" to the counts.
add_tests() {
  local name="$1" out="$2" t_passed t_failed
  echo "$out" | grep -v "^$name tests:" || true
  t_passed="$(echo "$out" | sed -n "s/^$name tests: \([0-9]*\) passed, \([0-9]*\) failed\$/\1/p")"
  t_failed="$(echo "$out" | sed -n "s/^$name tests: \([0-9]*\) passed, \([0-9]*\) failed\$/\2/p")"
  if [[ -z "$t_passed" ]]; then
    fail "$name tests did not run"
  else
    passed=$((passed + t_passed))
    failed=$((failed + t_failed))
  fi
}

add_tests schema "$(hcl_python infra/tests/test_schema_check.py 2>&1)"

if schema_out="$(hcl_python infra/tests/schema_check.py "$tf_dir")"; then
  pass "$schema_out"
else
  echo "$schema_out"
  fail "schema check of $tf_dir"
fi

# --- 4. Size routing: the trigger's EventBridge patterns, rendered by `terraform console`
# from the module, route S3 events through moto's EventBridge (in-process) to exactly one
# of two queues ------------------------------------------------------------------------------

test_bin="$(scripts/venv.sh test)"
add_tests routing "$(PYTHONPATH="$venv/python-hcl2" "$test_bin/python" infra/tests/test_routing.py 2>&1)"

# --- 4b. Metrics: the dashboard's body and the alarms' definitions, rendered by `terraform
# console`, name only metrics the binary prints (names, namespace, dimensions), and the body
# passes PutDashboard's rules ---------------------------------------------------------------

add_tests metrics "$(hcl_python infra/tests/test_metrics.py 2>&1)"

# --- 5. Plan-time refusal of a destination overlapping the source ------------------------
# `terraform plan` needs the provider; `terraform console` does not, and it evaluates the
# input variables' validation blocks. It runs on a copy of the function module's real
# variables.tf (no provider, no init), and prints the error but exits 0: grep decides.

mkdir -p "$work/console"
cp "$tf_dir/modules/function/variables.tf" "$work/console/"

expect_io() { # expect_io refused|accepted 'io object literal'
  local want="$1" io="$2" out got
  out="$(cd "$work/console" && echo 'var.io' | terraform console -no-color -var "name=t" -var "io=$io" 2>&1)" || true
  if grep -q 'The destination overlaps the source' <<<"$out"; then
    got=refused
  elif grep -q '"source_bucket" = ' <<<"$out"; then
    got=accepted
  else
    got="an error: $(grep -m1 'Error' <<<"$out")"
  fi
  if [[ "$got" == "$want" ]]; then
    pass "io $want: $io"
  else
    fail "io should be $want, was $got: $io"
  fi
}

expect_io refused '{source_bucket="raw", destination_bucket="raw"}'
expect_io refused '{source_bucket="raw", source_prefix="", destination_bucket="raw", destination_prefix="out/"}'
expect_io refused '{source_bucket="raw", source_prefix="in/", destination_bucket="raw", destination_prefix=""}'
expect_io refused '{source_bucket="raw", source_prefix="in/", destination_bucket="raw", destination_prefix="in/"}'
expect_io refused '{source_bucket="raw", source_prefix="in/", destination_bucket="raw", destination_prefix="in/filtered/"}'
expect_io refused '{source_bucket="raw", source_prefix="in", destination_bucket="raw", destination_prefix="input/"}'
expect_io accepted '{source_bucket="raw", source_prefix="in/", destination_bucket="raw", destination_prefix="out/"}'
expect_io accepted '{source_bucket="raw", destination_bucket="clean"}'
expect_io accepted '{source_bucket="raw", source_prefix="x/", destination_bucket="clean", destination_prefix="x/"}'

# The job names the binary knows are accepted; others are refused at plan time.
expect_job() { # expect_job refused|accepted JOB
  local want="$1" job="$2" out got
  out="$(cd "$work/console" && echo 'var.job' | terraform console -no-color -var "name=t" \
    -var 'io={source_bucket="a", destination_bucket="b"}' -var "job=$job" 2>&1)" || true
  if grep -q 'job must be one of' <<<"$out"; then
    got=refused
  elif grep -q "\"$job\"" <<<"$out"; then
    got=accepted
  else
    got="an error: $(grep -m1 'Error' <<<"$out")"
  fi
  if [[ "$got" == "$want" ]]; then pass "job $want: $job"; else fail "job $job should be $want, was $got"; fi
}

expect_job accepted filter
expect_job accepted report
expect_job accepted load
expect_job accepted inspect
expect_job refused transform

# --- 6. Scripts ---------------------------------------------------------------------------

scripts=(scripts/*.sh infra/tests/*.sh)
if command -v shellcheck >/dev/null 2>&1; then
  if shellcheck -x "${scripts[@]}"; then pass "shellcheck ${#scripts[@]} scripts"; else fail "shellcheck"; fi
else
  for s in "${scripts[@]}"; do
    if bash -n "$s"; then pass "bash -n $s (shellcheck not installed)"; else fail "bash -n $s"; fi
  done
fi

# check_zip.sh accepts an aarch64 bootstrap and refuses an x86-64 one (ELF headers only).
make_zip() { # make_zip ZIP E_MACHINE
  "$venv/bin/python" - "$1" "$2" <<'PY'
import struct, sys, zipfile
header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHI", 2, int(sys.argv[2]), 1) + b"\0" * 40
info = zipfile.ZipInfo("bootstrap")
info.external_attr = 0o100755 << 16
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(info, header)
PY
}
make_zip "$work/arm64.zip" 183
make_zip "$work/x86.zip" 62
if infra/tests/check_zip.sh "$work/arm64.zip" >/dev/null && ! infra/tests/check_zip.sh "$work/x86.zip" 2>/dev/null; then
  pass "check_zip.sh accepts aarch64, refuses x86-64"
else
  fail "check_zip.sh on synthetic aarch64/x86-64 zips"
fi

echo "infra: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
