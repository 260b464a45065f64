#!/usr/bin/env bash
# Push a new zip to an existing function, only when its code differs.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/update-code.sh FUNCTION_NAME [ZIP]

Compares the base64 SHA-256 of ZIP (default dist/sluice-lambda-arm64.zip) with the
function's CodeSha256 and calls `aws lambda update-function-code` only when they
differ, then waits for the update to finish. Uses the usual AWS CLI settings
(AWS_PROFILE, AWS_REGION, ...). For functions managed by Terraform, prefer
`terraform apply`: it tracks the same hash in source_code_hash.
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
esac
if [[ $# -lt 1 || $# -gt 2 ]]; then
  usage >&2
  exit 2
fi

function_name="$1"
zip_path="${2:-dist/sluice-lambda-arm64.zip}"

if [[ ! -f "$zip_path" ]]; then
  echo "update-code: $zip_path not found; build it with scripts/package-zip.sh" >&2
  exit 1
fi

local_sha="$(openssl dgst -sha256 -binary "$zip_path" | base64)"
remote_sha="$(aws lambda get-function-configuration \
  --function-name "$function_name" --query CodeSha256 --output text)"

if [[ "$local_sha" == "$remote_sha" ]]; then
  echo "update-code: $function_name already runs this code ($local_sha)"
  exit 0
fi

echo "update-code: $function_name: $remote_sha -> $local_sha"
aws lambda update-function-code \
  --function-name "$function_name" \
  --zip-file "fileb://$zip_path" \
  --query '[FunctionName, CodeSha256, LastUpdateStatus]' --output text
aws lambda wait function-updated-v2 --function-name "$function_name"
echo "update-code: $function_name updated"
