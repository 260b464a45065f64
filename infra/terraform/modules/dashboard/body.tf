# The dashboard's JSON body (PutDashboard's schema), from the inputs only: no data source,
# no resource, so infra/tests renders it with `terraform console` and checks it offline —
# its JSON, and every metric it names against those the binary prints.

locals {
  labels = sort(keys(var.metrics))
  # Sluice's metric NAME for the deployment labelled l: [namespace, NAME, dimensions...].
  sluice = {
    for l, m in var.metrics : l => {
      for name in [
        "RowsRead", "RowsSelected", "RowsDropped", "RowsRejected", "BytesIn", "Throughput", "Duration", "Lag",
        "ObjectsProcessed", "ObjectsFailed", "ObjectsSuperseded", "ObjectsForwarded",
      ] : name => [m.namespace, name, "Service", m.service, "Job", m.job]
    }
  }
  fn = var.function == null ? [] : [var.function.name]

  text = {
    type = "text", x = 0, y = 0, width = 24, height = 2
    properties = {
      markdown = join("", [
        "## Sluice: ${var.name}\n",
        "Per-object metrics from the log (namespace ${join(", ", distinct([for m in values(var.metrics) : m.namespace]))}, dimensions Service and Job); ",
        "Lambda and SQS metrics from AWS. Every alarm of the deployment notifies one SNS topic.",
      ])
    }
  }

  throughput = {
    type = "metric", x = 0, y = 2, width = 12, height = 6
    properties = {
      title = "Throughput (MB/s)", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Sum"
      metrics = concat(
        [for l in local.labels : concat(local.sluice[l]["BytesIn"], [{ id = "bin_${l}", stat = "Sum", visible = false }])],
        [for l in local.labels : [{ expression = "bin_${l} / PERIOD(bin_${l}) / 1000000", label = "${l}: MB/s read, all objects", id = "mbs_${l}" }]],
        [for l in local.labels : concat(local.sluice[l]["Throughput"], [{ id = "thr_${l}", stat = "Average", visible = false }])],
        [for l in local.labels : [{ expression = "thr_${l} / 1000000", label = "${l}: MB/s per object (average)", id = "mbo_${l}" }]],
      )
    }
  }

  rows = {
    type = "metric", x = 12, y = 2, width = 12, height = 6
    properties = {
      title = "Rows by outcome", view = "timeSeries", stacked = true, region = var.region, period = var.period_seconds, stat = "Sum"
      metrics = concat(
        [for l in local.labels : concat(local.sluice[l]["RowsSelected"], [{ label = "${l}: selected", stat = "Sum" }])],
        [for l in local.labels : concat(local.sluice[l]["RowsDropped"], [{ label = "${l}: dropped", stat = "Sum" }])],
        [for l in local.labels : concat(local.sluice[l]["RowsRejected"], [{ label = "${l}: rejected", stat = "Sum" }])],
      )
    }
  }

  rejection_ratio = {
    type = "metric", x = 0, y = 8, width = 12, height = 6
    properties = {
      title = "Rejected rows (% of rows read)", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Sum"
      metrics = concat(
        [for l in local.labels : concat(local.sluice[l]["RowsRead"], [{ id = "read_${l}", stat = "Sum", visible = false }])],
        [for l in local.labels : concat(local.sluice[l]["RowsRejected"], [{ id = "rej_${l}", stat = "Sum", visible = false }])],
        [for l in local.labels : [{ expression = "IF(read_${l} > 0, 100 * rej_${l} / read_${l}, 0)", label = "${l}: % rejected", id = "ratio_${l}" }]],
      )
      annotations = { horizontal = [{ label = "alarm", value = var.rejection_ratio_threshold * 100 }] }
      yAxis       = { left = { min = 0, label = "%", showUnits = false } }
    }
  }

  objects = {
    type = "metric", x = 12, y = 8, width = 12, height = 6
    properties = {
      title = "Objects and errors", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Sum"
      metrics = concat(
        [for l in local.labels : concat(local.sluice[l]["ObjectsProcessed"], [{ label = "${l}: processed", stat = "Sum" }])],
        [for l in local.labels : concat(local.sluice[l]["ObjectsFailed"], [{ label = "${l}: failed", stat = "Sum" }])],
        [for l in local.labels : concat(local.sluice[l]["ObjectsSuperseded"], [{ label = "${l}: superseded", stat = "Sum" }])],
        [for l in local.labels : concat(local.sluice[l]["ObjectsForwarded"], [{ label = "${l}: forwarded to the workers", stat = "Sum" }])],
        [for f in local.fn : ["AWS/Lambda", "Errors", "FunctionName", f, { label = "function errors", stat = "Sum" }]],
        [for f in local.fn : ["AWS/Lambda", "Throttles", "FunctionName", f, { label = "function throttles", stat = "Sum" }]],
      )
    }
  }

  duration = {
    type = "metric", x = 0, y = 14, width = 12, height = 6
    properties = {
      title = var.function == null ? "Duration per object (ms)" : "Duration against the timeout (ms)"
      view  = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Maximum"
      metrics = concat(
        [for f in local.fn : ["AWS/Lambda", "Duration", "FunctionName", f, { label = "invocation, longest", stat = "Maximum" }]],
        [for f in local.fn : ["AWS/Lambda", "Duration", "FunctionName", f, { label = "invocation, average", stat = "Average" }]],
        [for l in local.labels : concat(local.sluice[l]["Duration"], [{ label = "${l}: object, longest", stat = "Maximum" }])],
      )
      annotations = {
        horizontal = var.function == null ? [] : [
          { label = "timeout", value = var.function.timeout_seconds * 1000 },
          { label = "alarm: 80% of the timeout", value = var.function.timeout_seconds * 800 },
        ]
      }
      yAxis = { left = { min = 0 } }
    }
  }

  lag = {
    type = "metric", x = 12, y = 14, width = 12, height = 6
    properties = {
      title = "Lag from the event to the commit (ms)", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Maximum"
      metrics = concat(
        [for l in local.labels : concat(local.sluice[l]["Lag"], [{ label = "${l}: longest", stat = "Maximum" }])],
        [for l in local.labels : concat(local.sluice[l]["Lag"], [{ label = "${l}: average", stat = "Average" }])],
      )
    }
  }

  queue_labels = sort(keys(var.queues))
  queue_depth = {
    type = "metric", x = 0, y = 20, width = 12, height = 6
    properties = {
      title = "Queue depth (messages)", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Maximum"
      metrics = concat(
        [for q in local.queue_labels : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queues[q], { label = "${q}: waiting", stat = "Maximum" }]],
        [for q in local.queue_labels : ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.queues[q], { label = "${q}: in flight", stat = "Maximum" }]],
      )
    }
  }

  queue_age = {
    type = "metric", x = 12, y = 20, width = 12, height = 6
    properties = {
      title   = "Oldest message age (s)", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Maximum"
      metrics = [for q in local.queue_labels : ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.queues[q], { label = q, stat = "Maximum" }]]
    }
  }

  dlq_labels = sort(keys(var.dead_letter_queues))
  dead_letters = {
    type = "metric", x = 0, y = 26, width = 24, height = 5
    properties = {
      title   = "Dead-letter and failure queues (must stay at 0)", view = "timeSeries", stacked = false, region = var.region, period = var.period_seconds, stat = "Maximum"
      metrics = [for q in local.dlq_labels : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dead_letter_queues[q], { label = q, stat = "Maximum" }]]
    }
  }

  body = {
    widgets = concat(
      [local.text, local.throughput, local.rows, local.rejection_ratio, local.objects, local.duration, local.lag],
      length(var.queues) > 0 ? [local.queue_depth, local.queue_age] : [],
      length(var.dead_letter_queues) > 0 ? [local.dead_letters] : [],
    )
  }
}
