# What every alarm watches, from the inputs only (no data source, no resource): infra/tests
# renders local.alarms with `terraform console` and checks each metric named here against
# those the binary prints. Each alarm: a description, a threshold the value must exceed to
# fire, its metrics keyed by metric-math id, and an expression over them (or null: the one
# metric is the value).

locals {
  lambda_alarms = {
    errors = {
      description = "${var.function_name} returned errors: see its log group."
      threshold   = 0
      expression  = null
      metrics     = { m1 = { namespace = "AWS/Lambda", metric = "Errors", stat = "Sum", dimensions = { FunctionName = var.function_name } } }
    }
    throttles = {
      description = "${var.function_name} was throttled: raise its reserved concurrency or lower the trigger's."
      threshold   = 0
      expression  = null
      metrics     = { m1 = { namespace = "AWS/Lambda", metric = "Throttles", stat = "Sum", dimensions = { FunctionName = var.function_name } } }
    }
  }

  # The longest invocation came within 20% of the timeout: the next larger object fails.
  duration_alarm = var.function_timeout_seconds == null ? {} : {
    duration = {
      description = "${var.function_name} ran longer than 80% of its ${var.function_timeout_seconds} s timeout: route big objects to a worker fleet, raise the timeout or the memory."
      threshold   = var.function_timeout_seconds * 1000 * 0.8 # the metric is in milliseconds
      expression  = null
      metrics     = { m1 = { namespace = "AWS/Lambda", metric = "Duration", stat = "Maximum", dimensions = { FunctionName = var.function_name } } }
    }
  }

  dead_letter_alarms = {
    for label, queue in var.dead_letter_queues : "${label}-not-empty" => {
      description = "Queue ${queue} holds events that were not processed: inspect, fix, then redrive them."
      threshold   = 0
      expression  = null
      metrics     = { m1 = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", stat = "Maximum", dimensions = { QueueName = queue } } }
    }
  }

  event_age_alarm = {
    event-age = var.trigger_mode == "direct" ? {
      description = "${var.function_name} is falling behind on S3 events (AsyncEventAge)."
      threshold   = var.event_age_threshold_seconds * 1000 # the metric is in milliseconds
      expression  = null
      metrics     = { m1 = { namespace = "AWS/Lambda", metric = "AsyncEventAge", stat = "Maximum", dimensions = { FunctionName = var.function_name } } }
      } : {
      description = "${var.function_name} is falling behind on queue ${coalesce(var.queue_name, "?")} (ApproximateAgeOfOldestMessage)."
      threshold   = var.event_age_threshold_seconds
      expression  = null
      metrics     = { m1 = { namespace = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", stat = "Maximum", dimensions = { QueueName = coalesce(var.queue_name, "?") } } }
    }
  }

  queue_age_alarms = {
    for label, q in var.queue_age_alarms : "${label}-age" => {
      description = "Queue ${q.queue_name} is falling behind: its oldest message is older than ${q.threshold_seconds} s (ApproximateAgeOfOldestMessage, messages in flight included)."
      threshold   = q.threshold_seconds
      expression  = null
      metrics     = { m1 = { namespace = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", stat = "Maximum", dimensions = { QueueName = q.queue_name } } }
    }
  }

  # Sluice's own metrics (the binary's embedded-metric-format lines), per deployment.
  rejection_alarms = {
    for label, m in var.metrics : "${label}-rejection-ratio" => {
      description = "More than ${var.rejection_ratio_threshold * 100}% of the rows ${m.service} read were rejected: the rejects objects (_rejects/) say which rows and why."
      threshold   = var.rejection_ratio_threshold
      expression  = "IF(rows > 0, rejected / rows, 0)"
      metrics = {
        rows     = { namespace = m.namespace, metric = "RowsRead", stat = "Sum", dimensions = { Service = m.service, Job = m.job } }
        rejected = { namespace = m.namespace, metric = "RowsRejected", stat = "Sum", dimensions = { Service = m.service, Job = m.job } }
      }
    }
  }

  failed_object_alarms = {
    for label, m in var.metrics : "${label}-failed-objects" => {
      description = "${m.service} failed on objects (read, parse or commit errors): its log has one \"failed\" line per object, with the error."
      threshold   = 0
      expression  = null
      metrics     = { m1 = { namespace = m.namespace, metric = "ObjectsFailed", stat = "Sum", dimensions = { Service = m.service, Job = m.job } } }
    }
  }

  alarms = merge(
    local.lambda_alarms, local.duration_alarm, local.dead_letter_alarms, local.event_age_alarm,
    local.queue_age_alarms, local.rejection_alarms, local.failed_object_alarms,
  )
}
