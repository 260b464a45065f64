data "aws_partition" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  log_group_name = "/aws/lambda/${var.name}"

  # Object ARNs the function may touch. The prefix is part of the ARN, so an
  # empty prefix means the whole bucket and "in/" means keys under in/ only.
  source_objects      = "arn:${local.partition}:s3:::${var.io.source_bucket}/${var.io.source_prefix}*"
  destination_objects = "arn:${local.partition}:s3:::${var.io.destination_bucket}/${var.io.destination_prefix}*"
  # Rejected rows go under <destination prefix>_rejects/; a rerun that finds
  # none removes the object the last manifest lists there.
  rejects_objects = "arn:${local.partition}:s3:::${var.io.destination_bucket}/${var.io.destination_prefix}_rejects/*"

  # Keys the function's own resources use (environment, failure queue, overflow
  # queue); the buckets' keys belong to the data policy, which the worker shares.
  own_kms_key_arns = distinct(compact([var.kms_key_arn, try(var.overflow_queue.kms_key_arn, null)]))

  # The job configuration (SLUICE_*): the same for the function and for a worker
  # fleet running the same job (output job_environment).
  job_environment = merge(
    var.environment_extra,
    {
      SLUICE_JOB           = var.job
      SLUICE_DEST_BUCKET   = var.io.destination_bucket
      SLUICE_DEST_PREFIX   = var.io.destination_prefix
      SLUICE_SOURCE_BUCKET = var.io.source_bucket
      SLUICE_SOURCE_PREFIX = var.io.source_prefix
      SLUICE_SUFFIX        = var.suffix
      SLUICE_LOG_LEVEL     = var.log_level
      # The metrics' namespace; each deployment (function, worker) names its Service.
      SLUICE_METRICS_NAMESPACE = var.metrics_namespace
      SLUICE_DELIMITER         = var.filter.delimiter
      SLUICE_NO_HEADER         = tostring(var.filter.no_header)
      SLUICE_SELECT            = join(",", var.filter.select)
    },
    # A condition replaces the threshold options: the binary refuses both.
    var.filter.where != null ? { SLUICE_WHERE = var.filter.where } : {
      SLUICE_THRESHOLD                        = tostring(var.filter.threshold)
      SLUICE_COLUMNS                          = join(",", var.filter.columns)
      SLUICE_ALL                              = tostring(var.filter.all)
    },
    var.job != "report" ? {} : {
      SLUICE_REPORT_COLUMNS = join(",", [for role, column in var.report.columns : "${role}=${column}"])
      SLUICE_MISSING_VALUES = join(",", var.report.missing)
    },
    var.load == null ? {} : merge(
      {
        SLUICE_TABLE   = element(split("/", var.load.table_arn), 1)
        SLUICE_KEY     = var.load.key
        SLUICE_STRINGS = tostring(var.load.strings)
        SLUICE_REPLACE = tostring(var.load.replace)
      },
      var.load.sort_key == null ? {} : { SLUICE_SORT_KEY = var.load.sort_key },
    ),
  )

  # The function alone forwards objects it cannot finish in time to the worker queue.
  environment = merge(
    local.job_environment,
    { SLUICE_METRICS_SERVICE = var.name },
    var.overflow_queue == null ? {} : {
      SLUICE_OVERFLOW_QUEUE_URL = var.overflow_queue.url
      SLUICE_MIN_MB_PER_SEC     = tostring(var.overflow_queue.min_mb_per_sec)
    },
  )

  # Layer mode: the function's own package is this stub (a README only), so
  # Lambda finds no /var/task/bootstrap and runs /opt/bootstrap from the layer.
  layer_stub_zip_base64 = "UEsDBBQAAAAAAAAAIVDrtCbNPQAAAD0AAAAKAAAAUkVBRE1FLnR4dFRoZSBzbHVpY2UgYm9vdHN0cmFwIGlzIGluIGEgTGFtYmRhIGxheWVyIGF0IC9vcHQvYm9vdHN0cmFwLgpQSwECFAMUAAAAAAAAACFQ67QmzT0AAAA9AAAACgAAAAAAAAAAAAAApAEAAAAAUkVBRE1FLnR4dFBLBQYAAAAAAQABADgAAABlAAAAAAA="

  is_layer = var.package_type == "layer"
  # The layer comes from a local zip uploaded here, or from an object already in S3.
  upload_layer    = local.is_layer && var.layer_s3 == null
  artifact_bucket = coalesce(var.artifact_bucket, try(var.layer_s3.bucket, null), "unset")
}

# --- Logs -------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:A customer managed key is optional (var.kms_key_arn); CloudWatch Logs encrypts every log group at rest by default.
  #checkov:skip=CKV_AWS_338:Retention is a typed, validated input (default 30 days); one year of per-object processing logs is a cost, not a control.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- Failure queue for asynchronous invocations ---------------------------------------

resource "aws_sqs_queue" "failures" {
  name                              = "${var.name}-failures"
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags
}

data "aws_iam_policy_document" "failures_queue" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.failures.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "failures" {
  queue_url = aws_sqs_queue.failures.id
  policy    = data.aws_iam_policy_document.failures_queue.json
}

# --- Execution role ---------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  description          = "Execution role of the ${var.name} Sluice function"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

# What the job may read and write, and nothing else: the function's policy starts from it,
# and a worker fleet running the same job attaches it as is (output data_policy_json).
data "aws_iam_policy_document" "data" {
  statement {
    sid       = "ReadSourceObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [local.source_objects]
  }

  # Without ListBucket a missing object reads as 403 AccessDenied, not 404:
  # the log would blame permissions for an object deleted before its event.
  # Not narrowed by an s3:prefix condition: a GetObject carries no prefix
  # to match, so a conditioned grant would not turn the 403 into a 404. It
  # shows key names only; reading stays limited to the source prefix.
  statement {
    sid       = "ListSourceBucket"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.io.source_bucket}"]
  }

  statement {
    sid = "WriteDestinationObjects"
    # GetObject reads the run's manifest (_sluice/manifests/ under the
    # destination prefix) and, when a conditional write is refused, the ETag
    # of the output another run wrote meanwhile.
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.destination_objects]
  }

  # A first run finds no manifest: without ListBucket that reads as 403
  # AccessDenied, not 404, and the run would fail instead of starting. Not
  # narrowed by s3:prefix for the reason given for the source bucket.
  statement {
    sid       = "ListDestinationBucket"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.io.destination_bucket}"]
  }

  statement {
    sid       = "RemoveStaleRejects"
    actions   = ["s3:DeleteObject"]
    resources = [local.rejects_objects]
  }

  dynamic "statement" {
    for_each = length(var.s3_kms_key_arns) == 0 ? [] : [var.s3_kms_key_arns]
    content {
      sid       = "UseBucketKeys"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = var.load == null ? [] : [var.load.table_arn]
    content {
      sid       = "LoadTable"
      actions   = ["dynamodb:BatchWriteItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DescribeTable"]
      resources = [statement.value]
    }
  }
}

# The function's policy: the data policy, plus its logs, traces and queues.
data "aws_iam_policy_document" "this" {
  source_policy_documents = [data.aws_iam_policy_document.data.json]

  # The log group's arn ends without ":*" (the provider strips it); its streams need it.
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid = "WriteTraces"
    # X-Ray trace segments have no resource-level permissions: "*" is required.
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "SendFailedEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }

  dynamic "statement" {
    for_each = var.overflow_queue == null ? [] : [var.overflow_queue.arn]
    content {
      sid       = "ForwardOverflow"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = length(local.own_kms_key_arns) == 0 ? [] : [local.own_kms_key_arns]
    content {
      sid       = "UseOwnKeys"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "sluice"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# --- Code ---------------------------------------------------------------------------------

resource "aws_s3_object" "layer" {
  count = local.upload_layer ? 1 : 0

  bucket      = local.artifact_bucket
  key         = "${var.artifact_prefix}layers/${var.name}-${filesha256(var.zip_file)}.zip"
  source      = var.zip_file
  source_hash = filesha256(var.zip_file)
  tags        = var.tags
}

resource "aws_lambda_layer_version" "this" {
  count = local.is_layer ? 1 : 0

  layer_name               = var.name
  description              = "Sluice bootstrap (/opt/bootstrap)"
  s3_bucket                = local.upload_layer ? aws_s3_object.layer[0].bucket : var.layer_s3.bucket
  s3_key                   = local.upload_layer ? aws_s3_object.layer[0].key : var.layer_s3.key
  s3_object_version        = local.upload_layer ? null : var.layer_s3.object_version
  source_code_hash         = local.upload_layer ? filebase64sha256(var.zip_file) : null
  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = [var.architecture]
}

resource "aws_s3_object" "layer_stub" {
  count = local.is_layer ? 1 : 0

  bucket         = local.artifact_bucket
  key            = "${var.artifact_prefix}functions/${var.name}-layer-stub.zip"
  content_base64 = local.layer_stub_zip_base64
  content_type   = "application/zip"
  tags           = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Sluice only calls AWS public endpoints (S3, SQS, DynamoDB); a VPC would add NAT or endpoints without reducing exposure.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile in the deploy pipeline; the artifact is pinned by source_code_hash / the image digest instead.
  #checkov:skip=CKV_AWS_173:The environment holds bucket names and job options, no secrets; pass kms_key_arn to encrypt it with a customer managed key.
  #checkov:skip=CKV_AWS_116:Failed asynchronous events go to the module's encrypted SQS queue through the on-failure destination (aws_lambda_function_event_invoke_config), which records more than a dead-letter queue.
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout
  kms_key_arn   = var.kms_key_arn

  reserved_concurrent_executions = var.reserved_concurrent_executions

  package_type = var.package_type == "image" ? "Image" : "Zip"
  runtime      = var.package_type == "image" ? null : "provided.al2023"
  handler      = var.package_type == "image" ? null : "bootstrap"

  filename         = var.package_type == "zip" ? var.zip_file : null
  source_code_hash = var.package_type == "zip" ? filebase64sha256(var.zip_file) : null

  image_uri = var.package_type == "image" ? var.image_uri : null

  s3_bucket = local.is_layer ? aws_s3_object.layer_stub[0].bucket : null
  s3_key    = local.is_layer ? aws_s3_object.layer_stub[0].key : null
  layers    = local.is_layer ? [aws_lambda_layer_version.this[0].arn] : null

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = "Active"
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.package_type == "image" || var.zip_file != null || (local.is_layer && var.layer_s3 != null)
      error_message = "package_type \"${var.package_type}\" needs zip_file (or, for \"layer\", layer_s3)."
    }
    precondition {
      condition     = var.layer_s3 == null || local.is_layer
      error_message = "layer_s3 is only used with package_type \"layer\"."
    }
    precondition {
      condition     = var.package_type != "image" || var.image_uri != null
      error_message = "package_type \"image\" needs image_uri."
    }
    precondition {
      condition     = !local.is_layer || var.artifact_bucket != null || var.layer_s3 != null
      error_message = "package_type \"layer\" needs artifact_bucket (or layer_s3)."
    }
    precondition {
      condition     = var.job != "load" || var.load != null
      error_message = "job \"load\" needs the load input (the table and its key columns)."
    }
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = var.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}
