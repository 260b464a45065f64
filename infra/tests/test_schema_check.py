"""The schema checker catches the mistakes `terraform validate` would, under AWS provider 5.x and
6.x alike (run by run.sh, which names both schemas in $SLUICE_AWS_SCHEMAS)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import schema_check  # noqa: E402

SCHEMAS = schema_check.load_schemas()

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
    return schema_check.check_text(text, SCHEMAS)[1]


def versions(constraint: str) -> str:
    """A versions.tf whose hashicorp/aws constraint is `constraint`."""
    return ('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            f'      version = "{constraint}"\n    }}\n  }}\n}}\n')


def test_both_majors_are_checked() -> None:
    majors = [schema_check.major(s) for s in SCHEMAS]
    assert majors == [5, 6], [s["version"] for s in SCHEMAS]


def test_correct_snippet_passes() -> None:
    checked, found = schema_check.check_text(GOOD + versions(">= 5.90, < 7.0"), SCHEMAS)
    assert checked == 2, checked
    assert found == [], found


def test_argument_in_only_one_schema() -> None:
    # skip_destroy is new in 6.x; aws_eip's vpc was removed in 6.0.
    found = problems('resource "aws_s3_bucket_public_access_block" "b" {\n  bucket = "b"\n  skip_destroy = true\n}\n'
                     'resource "aws_eip" "e" {\n  vpc = true\n}\n')
    assert any('aws_s3_bucket_public_access_block.b: unknown argument "skip_destroy" [hashicorp/aws 5.99.1; fine in 6.'
               in p and "#schema_check:aws6-only=skip_destroy:REASON" in p for p in found), found
    assert any('aws_eip.e: unknown argument "vpc" [hashicorp/aws 6.' in p and "fine in 5.99.1" in p for p in found), found


GATED = '''
resource "aws_s3_bucket_public_access_block" "b" {
  bucket = "b"
  #schema_check:aws6-only=skip_destroy:the bucket outlives this stack
  skip_destroy = true
}
'''


def test_marked_argument_passes_when_the_constraint_excludes_the_other_major() -> None:
    found = problems(GATED + versions(">= 6.0, < 7.0"))
    assert found == [], found


def test_marked_argument_fails_when_the_constraint_admits_the_other_major() -> None:
    found = problems(GATED + versions(">= 5.90, < 7.0"))
    assert any('marker aws6-only=skip_destroy: the constraint ">= 5.90, < 7.0" admits hashicorp/aws 5.99.1' in p
               for p in found), found


def test_marker_for_an_argument_both_schemas_have() -> None:
    found = problems(GATED.replace("skip_destroy", "restrict_public_buckets") + versions(">= 6.0"))
    assert any('every checked schema has "restrict_public_buckets"; remove the marker' in p for p in found), found


def test_malformed_marker() -> None:
    found = problems(GATED.replace(":the bucket outlives this stack", "") + versions(">= 6.0"))
    assert any("malformed marker" in p for p in found), found


def test_constraint_excluding_a_checked_version_needs_a_marker() -> None:
    found = problems('resource "aws_sqs_queue" "q" {}\n' + versions("~> 5.90"))
    assert any('the constraint "~> 5.90" excludes hashicorp/aws 6.' in p for p in found), found


def test_version_constraints() -> None:
    admits = schema_check.admits
    assert admits("~> 5.90", "5.99.1") and not admits("~> 5.90", "6.25.0")
    assert admits(">= 5.90, < 7.0", "6.25.0") and admits(">= 5.90, < 7.0", "5.99.1")
    assert not admits(">= 5.90, < 7.0", "7.0.0") and not admits("~> 5.90.1", "5.91.0")
    assert admits("6.25.0", "6.25.0") and not admits("!= 6.25.0", "6.25.0")


def test_deprecated_attribute_and_arguments() -> None:
    found = problems('data "aws_region" "r" {}\n'
                     'resource "aws_sqs_queue" "q" {\n  name = "q-${data.aws_region.r.name}"\n}\n'
                     'resource "aws_iam_role" "r" {\n  assume_role_policy = "{}"\n  managed_policy_arns = []\n}\n'
                     'resource "aws_s3_bucket_lifecycle_configuration" "l" {\n  bucket = "b"\n'
                     '  rule {\n    id = "r"\n    status = "Enabled"\n    prefix = "in/"\n  }\n}\n')
    assert any('data.aws_region.r.name: attribute "name" is deprecated in AWS provider 6.x' in p for p in found), found
    assert any('argument "managed_policy_arns" is deprecated' in p for p in found), found
    assert any('aws_s3_bucket_lifecycle_configuration.l.rule: argument "prefix" is deprecated' in p for p in found), found


def test_unknown_attribute_and_attribute_of_one_schema() -> None:
    found = problems('data "aws_region" "r" {}\n'
                     'resource "aws_sqs_queue" "q" {\n  name = aws_sqs_queue.other[0].urll\n'
                     '  policy = data.aws_region.r.region\n}\n')
    assert any('aws_sqs_queue.other[0].urll: unknown attribute "urll"' in p for p in found), found
    assert any('data.aws_region.r.region: unknown attribute "region" [hashicorp/aws 5.99.1; fine in 6.' in p
               for p in found), found


def test_type_without_reviewed_deprecations() -> None:
    found = problems('resource "aws_eip" "e" {\n  domain = "vpc"\n}\n')
    assert any("resource.aws_eip is not in schema_check.DEPRECATED_IN_6" in p for p in found), found


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


def test_deprecation_table_names_what_6x_has() -> None:
    six = next(s for s in SCHEMAS if schema_check.major(s) == 6)
    for key, names in schema_check.DEPRECATED_IN_6.items():
        kind, rtype = key.split(".")
        block = six["blocks"][kind].get(rtype)
        assert block, key
        for dotted in names:
            *parents, last = dotted.split(".")
            fqn = block["config"]
            for p in parents:
                fqn = six["structs"][fqn][p]["block"]
            assert last in six["structs"][fqn] or (not parents and last in block["attributes"]), f"{key} {dotted}"


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
