output "source_bucket" {
  description = "Upload CSV files here, under source_prefix."
  value       = module.source_bucket.name
}

output "destination_bucket" {
  description = "JSON documents appear here, under destination_prefix."
  value       = module.destination_bucket.name
}

output "function_name" {
  description = "The Lambda function."
  value       = module.function.function_name
}

output "layer_version_arn" {
  description = "The layer version carrying bootstrap."
  value       = module.function.layer_version_arn
}

output "log_group_name" {
  description = "Each document is logged here too: aws logs tail <this> --follow"
  value       = module.function.log_group_name
}

output "failure_queue_name" {
  description = "Events that failed after all retries."
  value       = module.function.failure_queue_name
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.alarms.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the deployment."
  value       = module.dashboard.dashboard_name
}
