output "mode" {
  description = "The trigger mode: \"direct\", \"queue\" or \"eventbridge\"."
  value       = var.mode
}

output "queue_name" {
  description = "Event queue name (queue mode, or eventbridge mode with function_delivery = \"queue\"), else null."
  value       = one(aws_sqs_queue.events[*].name)
}

output "queue_arn" {
  description = "Event queue ARN (as queue_name), else null."
  value       = one(aws_sqs_queue.events[*].arn)
}

output "queue_url" {
  description = "Event queue URL (as queue_name), else null."
  value       = one(aws_sqs_queue.events[*].id)
}

output "dead_letter_queue_name" {
  description = "Dead-letter queue of the event queue (as queue_name), else null."
  value       = one(aws_sqs_queue.dlq[*].name)
}

output "dead_letter_queue_arn" {
  description = "Its ARN (as queue_name), else null."
  value       = one(aws_sqs_queue.dlq[*].arn)
}

output "event_patterns" {
  description = "eventbridge mode: the rendered event pattern (JSON) of each rule, by route: lambda (size < lambda_max_bytes) and worker (size >= lambda_max_bytes, or no size). Else null."
  value       = local.eventbridge ? local.event_patterns : null
}

output "lambda_max_bytes" {
  description = "eventbridge mode: the size from which objects go to the worker fleet. Else null."
  value       = local.eventbridge ? local.lambda_max_bytes : null
}

output "lambda_rule_arn" {
  description = "eventbridge mode: the rule routing small objects to the function, else null."
  value       = try(aws_cloudwatch_event_rule.route["lambda"].arn, null)
}

output "worker_rule_arn" {
  description = "eventbridge mode: the rule routing large objects to the worker queue (the worker module's allowed_event_rule_arns), else null."
  value       = try(aws_cloudwatch_event_rule.route["worker"].arn, null)
}

output "rule_names" {
  description = "eventbridge mode: rule names by route (lambda, worker), for `aws events test-event-pattern` and the console. Else an empty map."
  value       = { for route, rule in aws_cloudwatch_event_rule.route : route => rule.name }
}

output "routing_dead_letter_queue_name" {
  description = "eventbridge mode: events a rule matched but could not deliver for a day (<name>-routing-dlq), else null."
  value       = one(aws_sqs_queue.routing_dlq[*].name)
}

output "routing_dead_letter_queue_arn" {
  description = "eventbridge mode: ARN of the routing DLQ, else null."
  value       = one(aws_sqs_queue.routing_dlq[*].arn)
}
