data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  create_topic = var.sns_topic_arn == null
  create_key   = local.create_topic && var.kms_key_arn == null
  topic_arn    = local.create_topic ? aws_sns_topic.alarms[0].arn : var.sns_topic_arn
  actions      = [local.topic_arn]
}

# --- Notification topic ------------------------------------------------------------

data "aws_iam_policy_document" "topic_key" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; write actions are limited to this account and to CloudWatch from this account.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource.
  #checkov:skip=CKV_AWS_109:The account root statement is the standard key-administration statement that keeps the key manageable through IAM.
  count = local.create_key ? 1 : 0

  # Key policies name the key itself as "*".
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishes"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "topic" {
  count = local.create_key ? 1 : 0

  description             = "Encrypts the ${var.name}-alarms SNS topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.topic_key[0].json
  tags                    = var.tags
}

resource "aws_sns_topic" "alarms" {
  count = local.create_topic ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = local.create_key ? aws_kms_key.topic[0].arn : var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  count = local.create_topic ? 1 : 0

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms[0].arn]

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

resource "aws_sns_topic_policy" "alarms" {
  count = local.create_topic ? 1 : 0

  arn    = aws_sns_topic.alarms[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = local.create_topic ? toset(var.email_subscriptions) : toset([])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# --- Alarms ----------------------------------------------------------------------------

locals {
  lambda_alarms = {
    errors = {
      description = "${var.function_name} returned errors: see its log group."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.function_name }
      threshold   = 0
    }
    throttles = {
      description = "${var.function_name} was throttled: raise its reserved concurrency or lower the trigger's."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      statistic   = "Sum"
      dimensions  = { FunctionName = var.function_name }
      threshold   = 0
    }
  }

  dead_letter_alarms = {
    for label, queue in var.dead_letter_queues : "${label}-not-empty" => {
      description = "Queue ${queue} holds events that were not processed: inspect, fix, then redrive them."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      dimensions  = { QueueName = queue }
      threshold   = 0
    }
  }

  event_age_alarm = {
    event-age = var.trigger_mode == "direct" ? {
      description = "${var.function_name} is falling behind on S3 events (AsyncEventAge)."
      namespace   = "AWS/Lambda"
      metric      = "AsyncEventAge"
      statistic   = "Maximum"
      dimensions  = { FunctionName = var.function_name }
      threshold   = var.event_age_threshold_seconds * 1000 # the metric is in milliseconds
      } : {
      description = "${var.function_name} is falling behind on queue ${coalesce(var.queue_name, "?")} (ApproximateAgeOfOldestMessage)."
      namespace   = "AWS/SQS"
      metric      = "ApproximateAgeOfOldestMessage"
      statistic   = "Maximum"
      dimensions  = { QueueName = coalesce(var.queue_name, "?") }
      threshold   = var.event_age_threshold_seconds
    }
  }

  queue_age_alarms = {
    for label, q in var.queue_age_alarms : "${label}-age" => {
      description = "Queue ${q.queue_name} is falling behind: its oldest message is older than ${q.threshold_seconds} s (ApproximateAgeOfOldestMessage, messages in flight included)."
      namespace   = "AWS/SQS"
      metric      = "ApproximateAgeOfOldestMessage"
      statistic   = "Maximum"
      dimensions  = { QueueName = q.queue_name }
      threshold   = q.threshold_seconds
    }
  }

  alarms = merge(local.lambda_alarms, local.dead_letter_alarms, local.event_age_alarm, local.queue_age_alarms)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = var.trigger_mode == "direct" || var.queue_name != null
      error_message = "trigger_mode \"queue\" needs queue_name."
    }
  }
}
