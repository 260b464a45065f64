output "function_name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Function ARN (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "timeout" {
  description = "Function timeout in seconds (the trigger sizes its queue's visibility timeout from it)."
  value       = aws_lambda_function.this.timeout
}

output "role_name" {
  description = "Execution role name (the trigger attaches its queue-consumer policy to it)."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "Execution role ARN."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function (for `aws logs tail`)."
  value       = aws_cloudwatch_log_group.this.name
}

output "failure_queue_name" {
  description = "Queue receiving asynchronous invocations that failed after all retries."
  value       = aws_sqs_queue.failures.name
}

output "failure_queue_arn" {
  description = "ARN of the failure queue."
  value       = aws_sqs_queue.failures.arn
}

output "layer_version_arn" {
  description = "ARN of the layer version carrying bootstrap (package_type = \"layer\"), else null."
  value       = local.is_layer ? aws_lambda_layer_version.this[0].arn : null
}
