output "repository_url" {
  description = "Push the image here: docker push <this>:<image_tag>"
  value       = aws_ecr_repository.sluice.repository_url
}

output "source_bucket" {
  description = "Upload order exports here, under source_prefix."
  value       = module.source_bucket.name
}

output "destination_bucket" {
  description = "Reports appear here, under destination_prefix."
  value       = module.destination_bucket.name
}

output "reports_location" {
  description = "The S3 URL under which each report is a Hive-partitioned table (see the README's Athena DDL)."
  value       = "s3://${module.destination_bucket.name}/${var.destination_prefix}"
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
