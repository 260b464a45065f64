output "sns_topic_arn" {
  description = "Topic that receives alarm and OK notifications."
  value       = local.topic_arn
}

output "alarm_names" {
  description = "Names of every alarm the module created."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}
