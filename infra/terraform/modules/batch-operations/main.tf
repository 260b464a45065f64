# The role S3 Batch Operations assumes to run a Sluice backfill: invoke the function once per
# object of the manifest, read the manifest (a CSV list or an S3 Inventory report), and write
# the completion report. The function reads and writes the objects with its own role.

data "aws_caller_identity" "current" {}

locals {
  manifest_objects = "${var.manifest_bucket_arn}/${var.manifest_prefix}*"
  report_objects   = "${var.report_bucket_arn}/${var.report_prefix}*"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["batchoperations.s3.amazonaws.com"]
    }

    # Only jobs of this account may use the role (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  description          = "S3 Batch Operations role of the ${var.name} Sluice backfill"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid     = "InvokeFunction"
    actions = ["lambda:InvokeFunction"]
    # The function, and its versions and aliases when a job names one.
    resources = [var.function_arn, "${var.function_arn}:*"]
  }

  statement {
    sid = "ReadManifest"
    # GetObjectVersion: a job names its manifest by ETag, and may by version.
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [local.manifest_objects]
  }

  statement {
    sid       = "WriteReport"
    actions   = ["s3:PutObject"]
    resources = [local.report_objects]
  }

  statement {
    sid       = "LocateBuckets"
    actions   = ["s3:GetBucketLocation"]
    resources = distinct([var.manifest_bucket_arn, var.report_bucket_arn])
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) == 0 ? [] : [var.kms_key_arns]
    content {
      sid       = "UseBucketKeys"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "sluice-batch-operations"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
