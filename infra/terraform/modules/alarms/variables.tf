variable "name" {
  description = "Prefix of alarm names and of the SNS topic the module creates. Usually the function name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be letters, digits, hyphens or underscores."
  }
}

variable "function_name" {
  description = "Function whose Errors, Throttles and AsyncEventAge are watched."
  type        = string
}

variable "trigger_mode" {
  description = "\"direct\" watches the function's AsyncEventAge; \"queue\" watches ApproximateAgeOfOldestMessage of queue_name."
  type        = string
  default     = "direct"

  validation {
    condition     = contains(["direct", "queue"], var.trigger_mode)
    error_message = "trigger_mode must be \"direct\" or \"queue\"."
  }
}

variable "queue_name" {
  description = "Event queue polled by the function (trigger_mode = \"queue\")."
  type        = string
  default     = null
}

variable "dead_letter_queues" {
  description = "Queues whose visible messages mean lost work, keyed by a short label used in the alarm name (for example { failures = module.function.failure_queue_name })."
  type        = map(string)
  default     = {}
}

variable "queue_age_alarms" {
  description = "Further queues whose oldest message must not grow older than threshold_seconds, keyed by a short label used in the alarm name <name>-<label>-age (for example { worker = { queue_name = module.worker.queue_name, threshold_seconds = 3600 } }). The age counts messages in flight: allow for the longest object."
  type = map(object({
    queue_name        = string
    threshold_seconds = number
  }))
  default = {}

  validation {
    condition     = alltrue([for q in values(var.queue_age_alarms) : q.threshold_seconds >= 60])
    error_message = "queue_age_alarms thresholds must be at least 60 seconds."
  }
}

variable "event_age_threshold_seconds" {
  description = "Alarm when the oldest unprocessed event is older than this."
  type        = number
  default     = 1800

  validation {
    condition     = var.event_age_threshold_seconds >= 60
    error_message = "event_age_threshold_seconds must be at least 60."
  }
}

variable "period_seconds" {
  description = "Evaluation period of every alarm, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 300, 600, 900, 1800, 3600], var.period_seconds)
    error_message = "period_seconds must be one of 60, 120, 300, 600, 900, 1800, 3600."
  }
}

variable "sns_topic_arn" {
  description = "Existing SNS topic for alarm and OK notifications. Null creates <name>-alarms, encrypted with kms_key_arn or with a key the module creates (CloudWatch cannot publish to a topic under the AWS managed SNS key)."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed key for the created topic; its key policy must allow cloudwatch.amazonaws.com kms:GenerateDataKey* and kms:Decrypt. Null creates a dedicated key."
  type        = string
  default     = null
}

variable "email_subscriptions" {
  description = "Email addresses subscribed to the created topic (each must confirm by mail). Ignored with sns_topic_arn."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+$", e))])
    error_message = "email_subscriptions must hold email addresses."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

variable "function_timeout_seconds" {
  description = "The function's timeout (module.function.timeout): alarm when an invocation runs longer than 80% of it. Null: no duration alarm."
  type        = number
  default     = null
}

variable "metrics" {
  description = "Where Sluice's own metrics are, keyed by a short label used in the alarm names <name>-<label>-rejection-ratio and <name>-<label>-failed-objects: the namespace and the Service and Job dimension values (the function module's `metrics` output; for a worker fleet the same with the worker's service name)."
  type = map(object({
    namespace = string
    service   = string
    job       = string
  }))
  default = {}
}

variable "rejection_ratio_threshold" {
  description = "Alarm when more than this fraction of the rows read in a period is rejected."
  type        = number
  default     = 0.01

  validation {
    condition     = var.rejection_ratio_threshold > 0 && var.rejection_ratio_threshold < 1
    error_message = "rejection_ratio_threshold must be between 0 and 1."
  }
}
