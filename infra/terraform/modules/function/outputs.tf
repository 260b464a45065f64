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

output "job_environment" {
  description = "The job configuration (the SLUICE_* variables from job, io, suffix, log_level, filter, report, load and environment_extra), for a worker fleet that runs the same job (the worker module's environment). Excludes SLUICE_OVERFLOW_QUEUE_URL, which only the function uses."
  value       = local.job_environment
}

output "data_policy_json" {
  description = "The IAM policy holding exactly the job's data permissions (source objects, destination objects and rejects, bucket keys, the load table), for a worker fleet that runs the same job (the worker module's data_policy_json). The function's own policy is this plus its logs, traces and queues."
  value       = data.aws_iam_policy_document.data.json
}

output "metrics" {
  description = "Where the function's own metrics are: namespace, and the Service and Job dimension values (for the dashboard and alarms modules' metrics inputs)."
  value = {
    namespace = var.metrics_namespace
    service   = var.name
    job       = var.job
  }
}
