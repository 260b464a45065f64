output "bucket" {
  description = "Upload CSV files here, under source_prefix; rejected rows appear under rejects_prefix."
  value       = module.bucket.name
}

output "table_name" {
  description = "The DynamoDB table the rows are loaded into."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table."
  value       = aws_dynamodb_table.this.arn
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

output "dashboard_name" {
  description = "CloudWatch dashboard of the deployment."
  value       = module.dashboard.dashboard_name
}
