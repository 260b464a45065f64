output "mode" {
  description = "The trigger mode, \"direct\" or \"queue\"."
  value       = var.mode
}

output "queue_name" {
  description = "Event queue name (queue mode), else null."
  value       = one(aws_sqs_queue.events[*].name)
}

output "queue_arn" {
  description = "Event queue ARN (queue mode), else null."
  value       = one(aws_sqs_queue.events[*].arn)
}

output "queue_url" {
  description = "Event queue URL (queue mode), else null."
  value       = one(aws_sqs_queue.events[*].id)
}

output "dead_letter_queue_name" {
  description = "Dead-letter queue name (queue mode), else null."
  value       = one(aws_sqs_queue.dlq[*].name)
}

output "dead_letter_queue_arn" {
  description = "Dead-letter queue ARN (queue mode), else null."
  value       = one(aws_sqs_queue.dlq[*].arn)
}
