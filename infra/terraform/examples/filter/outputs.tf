output "source_bucket" {
  description = "Upload CSV files here, under source_prefix."
  value       = module.source_bucket.name
}

output "destination_bucket" {
  description = "Filtered files appear here, under destination_prefix."
  value       = module.destination_bucket.name
}

output "function_name" {
  description = "The Lambda function."
  value       = module.function.function_name
}

output "log_group_name" {
  description = "Read with: aws logs tail <this> --follow"
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

output "function_arn" {
  description = "The Lambda function's ARN (create-job's FunctionArn)."
  value       = module.function.function_arn
}

output "batch_operations_role_arn" {
  description = "Role for aws s3control create-job --role-arn."
  value       = module.batch_operations.role_arn
}

output "batch_operations_manifest_prefix" {
  description = "Put job manifests (CSV lists, S3 Inventory reports) under this prefix of the destination bucket."
  value       = module.batch_operations.manifest_prefix
}

output "batch_operations_report_prefix" {
  description = "Completion reports go under this prefix of the destination bucket."
  value       = module.batch_operations.report_prefix
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the deployment."
  value       = module.dashboard.dashboard_name
}
