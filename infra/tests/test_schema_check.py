"""The schema checker catches the mistakes `terraform validate` would (run by run.sh)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import schema_check  # noqa: E402

SCHEMA = schema_check.load_schema()

GOOD = '''
resource "aws_s3_bucket_lifecycle_configuration" "ok" {
  count  = 1
  bucket = "b"
  rule {
    id     = "r"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
    dynamic "expiration" {
      for_each = [1]
      content {
        days = expiration.value
      }
    }
  }
  lifecycle {
    prevent_destroy = true
  }
  depends_on = [aws_s3_bucket.x]
}

data "aws_iam_policy_document" "ok" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "null_resource" "ignored" {
  anything = true
}
'''


def problems(text: str) -> list[str]:
    return schema_check.check_text(text, SCHEMA)[1]


def test_correct_snippet_passes() -> None:
    checked, found = schema_check.check_text(GOOD, SCHEMA)
    assert checked == 2, checked
    assert found == [], found


def test_misspelled_argument() -> None:
    found = problems('resource "aws_sqs_queue" "q" {\n  name = "q"\n  visibilty_timeout_seconds = 30\n}\n')
    assert any('unknown argument "visibilty_timeout_seconds"' in p for p in found), found


def test_missing_required_argument() -> None:
    found = problems('resource "aws_lambda_function" "f" {\n  function_name = "f"\n}\n')
    assert any('missing required argument "role"' in p for p in found), found


def test_misspelled_nested_block() -> None:
    found = problems('resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = "r"\n'
                     '  tracing_configuration {\n    mode = "Active"\n  }\n}\n')
    assert any('unknown nested block "tracing_configuration"' in p for p in found), found


def test_misspelled_argument_inside_nested_and_dynamic_blocks() -> None:
    bad = GOOD.replace("days_after_initiation", "days_after_initation").replace("days = expiration", "dayz = expiration")
    found = problems(bad)
    assert any('rule.abort_incomplete_multipart_upload: unknown argument "days_after_initation"' in p for p in found), found
    assert any('rule.expiration: unknown argument "dayz"' in p for p in found), found


def test_missing_required_block_and_unknown_type() -> None:
    found = problems('resource "aws_s3_bucket_ownership_controls" "o" {\n  bucket = "b"\n}\n'
                     'resource "aws_s3_buckett" "b" {}\n')
    assert any('missing required block "rule"' in p for p in found), found
    assert any("aws_s3_buckett.b: unknown resource type" in p for p in found), found


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]

if __name__ == "__main__":
    failed = 0
    for t in TESTS:
        try:
            t()
            print(f"ok   {t.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL {t.__name__}: {e}")
    print(f"schema tests: {len(TESTS) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
