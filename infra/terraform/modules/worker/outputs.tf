output "queue_name" {
  description = "Work queue: objects for the fleet (the trigger's worker rule and the function's overflow send here)."
  value       = aws_sqs_queue.work.name
}

output "queue_arn" {
  description = "Work queue ARN (the trigger module's worker_queue_arn; the function module's overflow_queue.arn)."
  value       = aws_sqs_queue.work.arn
}

output "queue_url" {
  description = "Work queue URL (the function module's overflow_queue.url)."
  value       = aws_sqs_queue.work.id
}

output "dead_letter_queue_name" {
  description = "Messages that failed max_receive_count deliveries."
  value       = aws_sqs_queue.dlq.name
}

output "dead_letter_queue_arn" {
  description = "Dead-letter queue ARN."
  value       = aws_sqs_queue.dlq.arn
}

output "kms_key_arn" {
  description = "Key of both queues, or null for SSE-SQS (the function module's overflow_queue.kms_key_arn)."
  value       = var.kms_key_arn
}

output "cluster_arn" {
  description = "ECS cluster the service runs in."
  value       = local.cluster_arn
}

output "service_name" {
  description = "ECS service of the fleet."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "Task definition (revision) the service runs."
  value       = aws_ecs_task_definition.this.arn
}

output "task_role_arn" {
  description = "Task role: the job's data permissions plus the work queue."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Task execution role: image pull and log streams."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the tasks (for `aws logs tail`)."
  value       = aws_cloudwatch_log_group.this.name
}

output "scaling_alarm_names" {
  description = "The alarms that drive autoscaling (backlog, stale, idle); their ALARM state is an action, not a page."
  value       = [aws_cloudwatch_metric_alarm.backlog.alarm_name, aws_cloudwatch_metric_alarm.stale.alarm_name, aws_cloudwatch_metric_alarm.idle.alarm_name]
}

output "metrics_service" {
  description = "The Service dimension of the worker's own metrics (SLUICE_METRICS_SERVICE): its name. Namespace and Job come with the job's environment."
  value       = var.name
}
