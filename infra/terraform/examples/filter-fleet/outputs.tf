output "repository_url" {
  description = "Push the image here: docker push <this>:<image_tag>"
  value       = aws_ecr_repository.sluice.repository_url
}

output "source_bucket" {
  description = "Upload CSV files here, under source_prefix."
  value       = module.source_bucket.name
}

output "destination_bucket" {
  description = "Filtered files appear here, under destination_prefix."
  value       = module.destination_bucket.name
}

output "lambda_max_bytes" {
  description = "Objects of this size or more (or of unknown size) go to the worker fleet; smaller ones to the function."
  value       = module.trigger.lambda_max_bytes
}

output "event_patterns" {
  description = "The two rules' event patterns (JSON), by route: lambda, worker."
  value       = module.trigger.event_patterns
}

output "rule_names" {
  description = "The two rules, by route."
  value       = module.trigger.rule_names
}

output "function_name" {
  description = "The Lambda function."
  value       = module.function.function_name
}

output "log_group_name" {
  description = "The function's logs: aws logs tail <this> --follow"
  value       = module.function.log_group_name
}

output "worker_log_group_name" {
  description = "The worker tasks' logs: aws logs tail <this> --follow"
  value       = module.worker.log_group_name
}

output "worker_cluster_arn" {
  description = "ECS cluster of the fleet."
  value       = module.worker.cluster_arn
}

output "worker_service_name" {
  description = "ECS service of the fleet (its desired count follows the queue)."
  value       = module.worker.service_name
}

output "queue_name" {
  description = "Queue between the small objects' rule and the function."
  value       = module.trigger.queue_name
}

output "worker_queue_name" {
  description = "Queue of the worker fleet (large objects, and the function's overflow)."
  value       = module.worker.queue_name
}

output "dead_letter_queues" {
  description = "Queues that must stay empty, by label (each has an alarm)."
  value = {
    failures    = module.function.failure_queue_name
    events-dlq  = module.trigger.dead_letter_queue_name
    routing-dlq = module.trigger.routing_dead_letter_queue_name
    worker-dlq  = module.worker.dead_letter_queue_name
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.alarms.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the deployment."
  value       = module.dashboard.dashboard_name
}
