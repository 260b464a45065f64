data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  bucket_arn  = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
  eventbridge = var.mode == "eventbridge"
  # How the function receives its events: from S3 (direct, queue) or from the rule
  # routing the small objects (eventbridge).
  function_path = local.eventbridge ? var.function_delivery : var.mode
  queued        = local.function_path == "queue" ? 1 : 0
  direct        = local.function_path == "direct" ? 1 : 0
  events        = ["s3:ObjectCreated:*"]
}

# --- Direct: S3 invokes the function ---------------------------------------------------

resource "aws_lambda_permission" "s3" {
  count = local.direct == 1 && !local.eventbridge ? 1 : 0

  statement_id   = "AllowS3Invoke"
  action         = "lambda:InvokeFunction"
  function_name  = var.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.bucket_arn
  source_account = data.aws_caller_identity.current.account_id
}

# --- Queue: S3 -> SQS -> function -------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  count = local.queued

  name                              = "${var.name}-events-dlq"
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags
}

resource "aws_sqs_queue" "events" {
  count = local.queued

  name                              = "${var.name}-events"
  visibility_timeout_seconds        = 6 * var.function_timeout + var.maximum_batching_window_in_seconds
  message_retention_seconds         = 345600
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  count = local.queued

  queue_url = aws_sqs_queue.dlq[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events[0].arn]
  })
}

# Both queues deny plain-HTTP requests; the event queue also admits this bucket's events.
locals {
  queues = local.queued == 1 ? {
    events = { arn = aws_sqs_queue.events[0].arn, url = aws_sqs_queue.events[0].id }
    dlq    = { arn = aws_sqs_queue.dlq[0].arn, url = aws_sqs_queue.dlq[0].id }
  } : {}
}

data "aws_iam_policy_document" "queue" {
  for_each = local.queues

  dynamic "statement" {
    for_each = each.key == "events" && !local.eventbridge ? [each.value.arn] : []
    content {
      sid       = "AllowSourceBucketEvents"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]

      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [local.bucket_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  # eventbridge mode: the rule routing the small objects sends to the event queue.
  dynamic "statement" {
    for_each = each.key == "events" && local.eventbridge ? [each.value.arn] : []
    content {
      sid       = "AllowRoutedEvents"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.route["lambda"].arn]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value.arn]

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

resource "aws_sqs_queue_policy" "this" {
  for_each = local.queues

  queue_url = each.value.url
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# The function's role may consume this queue and no other.
data "aws_iam_policy_document" "consume" {
  count = local.queued

  statement {
    sid       = "ConsumeEvents"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.events[0].arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptEvents"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "consume" {
  count = local.queued

  name   = "sluice-consume-${aws_sqs_queue.events[0].name}"
  role   = var.function_role_name
  policy = data.aws_iam_policy_document.consume[0].json
}

resource "aws_lambda_event_source_mapping" "events" {
  count = local.queued

  event_source_arn                   = aws_sqs_queue.events[0].arn
  function_name                      = var.function_arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.maximum_concurrency == null ? [] : [var.maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }

  lifecycle {
    precondition {
      condition     = var.batch_size <= 10 || var.maximum_batching_window_in_seconds >= 1
      error_message = "batch_size above 10 needs maximum_batching_window_in_seconds of at least 1."
    }
  }

  # Lambda checks the role's SQS permissions when the mapping is created.
  depends_on = [aws_iam_role_policy.consume]
}

# --- The bucket's notification configuration ------------------------------------------

resource "aws_s3_bucket_notification" "this" {
  bucket = var.bucket_name
  # eventbridge mode: every event of the bucket goes to the default event bus, where
  # the rules below filter and route them.
  eventbridge = local.eventbridge

  dynamic "lambda_function" {
    for_each = local.eventbridge ? [] : range(local.direct)
    content {
      lambda_function_arn = var.function_arn
      events              = local.events
      filter_prefix       = var.filter_prefix
      filter_suffix       = var.filter_suffix
    }
  }

  dynamic "queue" {
    for_each = local.eventbridge ? [] : range(local.queued)
    content {
      queue_arn     = aws_sqs_queue.events[0].arn
      events        = local.events
      filter_prefix = var.filter_prefix
      filter_suffix = var.filter_suffix
    }
  }

  # S3 sends a test event when the configuration is saved: the target must
  # already accept it. In eventbridge mode the routes are in place first.
  depends_on = [
    aws_lambda_permission.s3, aws_sqs_queue_policy.this,
    aws_cloudwatch_event_target.route, aws_lambda_permission.events,
  ]
}

# --- EventBridge: two rules route Object Created events by size ---------------------------
# Patterns in routing.tf. Each target retries for a day, then its failed deliveries go to
# <name>-routing-dlq, so an event that matched is never dropped silently.

locals {
  route_targets = local.eventbridge ? {
    lambda = local.queued == 1 ? aws_sqs_queue.events[0].arn : var.function_arn
    worker = var.worker_queue_arn
  } : {}
}

resource "aws_cloudwatch_event_rule" "route" {
  for_each = local.route_targets

  name          = "${var.name}-${each.key}"
  description   = each.key == "lambda" ? "Sluice: objects under ${local.lambda_max_bytes} bytes from ${var.bucket_name} to the function" : "Sluice: objects of ${local.lambda_max_bytes} bytes or more (or of unknown size) from ${var.bucket_name} to the worker fleet"
  event_pattern = local.event_patterns[each.key]
  tags          = var.tags

  lifecycle {
    precondition {
      condition     = var.worker_queue_arn != null
      error_message = "mode \"eventbridge\" needs worker_queue_arn (the worker module's queue_arn)."
    }
    precondition {
      condition     = length(var.name) <= 57
      error_message = "In eventbridge mode name may have at most 57 characters (rule names <name>-lambda, <name>-worker have at most 64)."
    }
    precondition {
      condition     = local.lambda_max_bytes <= 5000000000
      error_message = "lambda_max_bytes (${local.lambda_max_bytes}) is above 5,000,000,000, the numeric range EventBridge documents: lower lambda_throughput_bytes_per_second or set lambda_max_bytes."
    }
  }
}

resource "aws_cloudwatch_event_target" "route" {
  for_each = local.route_targets

  rule      = aws_cloudwatch_event_rule.route[each.key].name
  target_id = each.key
  arn       = each.value

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.routing_dlq[0].arn
  }
}

# eventbridge mode, function_delivery = "direct": the rule invokes the function (asynchronously).
resource "aws_lambda_permission" "events" {
  count = local.eventbridge && local.direct == 1 ? 1 : 0

  statement_id  = "AllowRoutedEvents"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.route["lambda"].arn
}

resource "aws_sqs_queue" "routing_dlq" {
  count = local.eventbridge ? 1 : 0

  name                              = "${var.name}-routing-dlq"
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags
}

data "aws_iam_policy_document" "routing_dlq" {
  count = local.eventbridge ? 1 : 0

  statement {
    sid       = "AllowUndeliveredEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.routing_dlq[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for r in aws_cloudwatch_event_rule.route : r.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.routing_dlq[0].arn]

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

resource "aws_sqs_queue_policy" "routing_dlq" {
  count = local.eventbridge ? 1 : 0

  queue_url = aws_sqs_queue.routing_dlq[0].id
  policy    = data.aws_iam_policy_document.routing_dlq[0].json
}
