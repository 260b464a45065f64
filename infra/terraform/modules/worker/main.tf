data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  account_id     = data.aws_caller_identity.current.account_id
  log_group_name = "/ecs/${var.name}"
  create_cluster = var.cluster_arn == null
  cluster_arn    = local.create_cluster ? aws_ecs_cluster.this[0].arn : var.cluster_arn
  cluster_name   = element(split("/", local.cluster_arn), length(split("/", local.cluster_arn)) - 1)
  # The region the queue lives in (and so the tasks): read from its ARN, which both
  # provider majors have (data.aws_region's attribute differs between them).
  region = element(split(":", aws_sqs_queue.work.arn), 3)

  # An image in ECR: the execution role may pull from that repository only.
  ecr = try(regex("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)", var.image_uri), null)
  ecr_repository_arn = local.ecr == null ? null : (
    "arn:${local.partition}:ecr:${local.ecr[1]}:${local.ecr[0]}:repository/${local.ecr[2]}"
  )

  # The job's configuration, as the function has it, the region, and the worker's own
  # Service dimension for its metrics.
  environment = merge(var.environment, { AWS_REGION = local.region, SLUICE_METRICS_SERVICE = var.name })

  # Scale-out steps on the visible messages, as ChangeInCapacity: k waiting messages add
  # k tasks (k rounded down to these sizes, so a policy has at most 16 steps).
  step_sizes = distinct([for k in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256] : min(k, var.max_tasks)])
}

# --- Logs --------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:A customer managed key is optional (var.kms_key_arn), as for the function; CloudWatch Logs encrypts every log group at rest by default.
  #checkov:skip=CKV_AWS_338:Retention is a typed, validated input (default 30 days), as for the function; one year of per-object processing logs is a cost, not a control.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- Work queue and its dead-letter queue -------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-work-dlq"
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags
}

resource "aws_sqs_queue" "work" {
  name                              = "${var.name}-work"
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  message_retention_seconds         = 1209600
  receive_wait_time_seconds         = 20
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = var.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.work.arn]
  })
}

# Both queues deny plain-HTTP requests; the work queue also admits the routing rule's events.
locals {
  queues = {
    work = { arn = aws_sqs_queue.work.arn, url = aws_sqs_queue.work.id }
    dlq  = { arn = aws_sqs_queue.dlq.arn, url = aws_sqs_queue.dlq.id }
  }
}

data "aws_iam_policy_document" "queue" {
  for_each = local.queues

  dynamic "statement" {
    for_each = each.key == "work" && length(var.allowed_event_rule_arns) > 0 ? [each.value.arn] : []
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
        values   = var.allowed_event_rule_arns
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

# --- Roles ---------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Only ECS acting for this account (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# The task role: exactly the function's data permissions (data_policy_json), plus this queue.
resource "aws_iam_role" "task" {
  name                 = "${var.name}-task"
  description          = "Task role of the ${var.name} Sluice worker fleet"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "task" {
  source_policy_documents = [var.data_policy_json]

  statement {
    sid = "ConsumeWork"
    # ChangeMessageVisibility: received messages are kept invisible while they wait and
    # are processed, and handed back at once on SIGTERM.
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.work.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptWork"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "sluice"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# The execution role: ECS pulls the image and writes the log streams with it.
resource "aws_iam_role" "execution" {
  name                 = "${var.name}-execution"
  description          = "Task execution role of the ${var.name} Sluice worker fleet (image pull, logs)"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "execution" {
  dynamic "statement" {
    for_each = local.ecr == null ? [] : [1]
    content {
      sid = "AuthenticateToEcr"
      # GetAuthorizationToken has no resource-level permissions: "*" is required.
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.ecr == null ? [] : [local.ecr_repository_arn]
    content {
      sid       = "PullImage"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = [statement.value]
    }
  }

  # The log group's arn ends without ":*" (the provider strips it); its streams need it.
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "sluice-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# --- Cluster, task definition, service --------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  count = local.create_cluster ? 1 : 0

  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.task_size.cpu)
  memory                   = tostring(var.task_size.memory)
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64" # what the Dockerfile builds
  }

  container_definitions = jsonencode([{
    name      = "worker"
    image     = var.image_uri
    essential = true
    # The image is the function's (the Lambda base image, whose entrypoint starts the
    # runtime interface): the same binary serves the worker command.
    entryPoint  = ["/var/runtime/bootstrap"]
    command     = ["worker", "--queue", aws_sqs_queue.work.id]
    environment = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    # SIGTERM: the current object is finished, the other received messages handed back.
    stopTimeout            = var.stop_timeout_seconds
    readonlyRootFilesystem = true # objects stream from S3 to S3; nothing is written locally
    user                   = "65534:65534"
    linuxParameters        = { initProcessEnabled = true } # an init forwards SIGTERM
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "worker"
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name             = var.name
  cluster          = local.cluster_arn
  task_definition  = aws_ecs_task_definition.this.arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"
  desired_count    = 0 # autoscaling owns it from here (ignore_changes below)
  propagate_tags   = "SERVICE"
  tags             = var.tags

  # A deployment starts the new tasks before stopping the old ones; a stopped task
  # gets stop_timeout_seconds to finish its object.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  # Rebalancing would stop busy tasks to move them between zones.
  availability_zone_rebalancing = "DISABLED"
  enable_execute_command        = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_iam_role_policy.task, aws_iam_role_policy.execution]
}

# --- Autoscaling: 0 to max_tasks on the queue's backlog, back to 0 when idle -------------------
#
# Step scaling, not target tracking: target tracking keeps a metric near a target by
# scaling both ways, and its scale-in stops any task, including one in the middle of a
# long object. Here the fleet only grows while messages wait, and shrinks in one step to
# 0 once the queue holds no message at all (none waiting, none in flight), so no busy
# task is ever stopped by scaling.

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${local.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = 0
  max_capacity       = var.max_tasks
  tags               = var.tags
}

locals {
  sqs_metric = {
    namespace  = "AWS/SQS"
    period     = 60
    stat       = "Maximum"
    dimensions = { QueueName = aws_sqs_queue.work.name }
  }
}

# Backlog: k visible messages add k tasks (ChangeInCapacity), repeated after each cooldown
# while messages still wait; capped at max_tasks.
resource "aws_appautoscaling_policy" "backlog" {
  name               = "${var.name}-backlog"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.scale_out_cooldown_seconds
    metric_aggregation_type = "Maximum"

    # Bounds are relative to the alarm's threshold (1 visible message).
    dynamic "step_adjustment" {
      for_each = local.step_sizes
      content {
        metric_interval_lower_bound = step_adjustment.value - 1
        metric_interval_upper_bound = step_adjustment.key + 1 < length(local.step_sizes) ? local.step_sizes[step_adjustment.key + 1] - 1 : null
        scaling_adjustment          = step_adjustment.value
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "backlog" {
  alarm_name          = "${var.name}-backlog"
  alarm_description   = "Objects wait in ${aws_sqs_queue.work.name}: the ${var.name} fleet scales out (autoscaling action, not a page)."
  namespace           = local.sqs_metric.namespace
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = local.sqs_metric.dimensions
  statistic           = local.sqs_metric.stat
  period              = local.sqs_metric.period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.backlog.arn]
  tags                = var.tags
}

# Latency backstop: a message waits and the oldest message is older than
# scale_out_age_seconds -> one more task per cooldown. The age alone is no signal: it
# counts messages in flight, so one long object keeps it high while nothing waits.
resource "aws_appautoscaling_policy" "stale" {
  name               = "${var.name}-stale"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.scale_out_cooldown_seconds
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "stale" {
  alarm_name          = "${var.name}-stale"
  alarm_description   = "A message waits in ${aws_sqs_queue.work.name} and the oldest is older than ${var.scale_out_age_seconds} s: the ${var.name} fleet adds a task (autoscaling action, not a page)."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.stale.arn]
  tags                = var.tags

  metric_query {
    id          = "stale"
    expression  = "IF(visible >= 1 AND age >= ${var.scale_out_age_seconds}, 1, 0)"
    label       = "Waiting and older than ${var.scale_out_age_seconds} s"
    return_data = true
  }

  # The queue metrics the expression reads, by id.
  dynamic "metric_query" {
    for_each = { visible = "ApproximateNumberOfMessagesVisible", age = "ApproximateAgeOfOldestMessage" }
    content {
      id = metric_query.key
      metric {
        namespace   = local.sqs_metric.namespace
        metric_name = metric_query.value
        dimensions  = local.sqs_metric.dimensions
        stat        = local.sqs_metric.stat
        period      = local.sqs_metric.period
      }
    }
  }
}

# Idle: no message waiting or in flight for scale_in_idle_minutes -> 0 tasks. Missing
# data keeps the alarm's state: SQS stops publishing the metrics of a long-idle queue.
resource "aws_appautoscaling_policy" "idle" {
  name               = "${var.name}-idle"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ExactCapacity"
    cooldown                = 60
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_upper_bound = 0
      scaling_adjustment          = 0
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "idle" {
  alarm_name          = "${var.name}-idle"
  alarm_description   = "${aws_sqs_queue.work.name} has held no message for ${var.scale_in_idle_minutes} minutes: the ${var.name} fleet goes to 0 (autoscaling action, not a page)."
  evaluation_periods  = var.scale_in_idle_minutes
  datapoints_to_alarm = var.scale_in_idle_minutes
  comparison_operator = "LessThanOrEqualToThreshold"
  threshold           = 0
  treat_missing_data  = "missing"
  alarm_actions       = [aws_appautoscaling_policy.idle.arn]
  tags                = var.tags

  metric_query {
    id          = "messages"
    expression  = "visible + inflight"
    label       = "Messages waiting or in flight"
    return_data = true
  }

  # The queue metrics the expression reads, by id.
  dynamic "metric_query" {
    for_each = { visible = "ApproximateNumberOfMessagesVisible", inflight = "ApproximateNumberOfMessagesNotVisible" }
    content {
      id = metric_query.key
      metric {
        namespace   = local.sqs_metric.namespace
        metric_name = metric_query.value
        dimensions  = local.sqs_metric.dimensions
        stat        = local.sqs_metric.stat
        period      = local.sqs_metric.period
      }
    }
  }
}
