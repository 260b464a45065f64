variable "name" {
  description = "Dashboard name. Usually the function name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.name))
    error_message = "name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "region" {
  description = "Region of every metric shown (the deployment's)."
  type        = string
}

variable "metrics" {
  description = "Where Sluice's own metrics are, keyed by a short label shown in the legends: the namespace and the Service and Job dimension values the binary prints them under (the function module's `metrics` output; for a worker fleet the same with the worker's service name)."
  type = map(object({
    namespace = string
    service   = string
    job       = string
  }))

  validation {
    condition     = length(var.metrics) > 0 && alltrue([for k in keys(var.metrics) : can(regex("^[a-z][A-Za-z0-9_]{0,30}$", k))])
    error_message = "metrics needs at least one entry; its labels must start with a lowercase letter and hold only letters, digits and underscores (they name metric-math ids)."
  }
}

variable "function" {
  description = "The Lambda function: its errors, throttles and duration against its timeout. Null for a deployment without one."
  type = object({
    name            = string
    timeout_seconds = number
  })
  default = null
}

variable "queues" {
  description = "Queues whose depth and oldest message age are shown, keyed by a short label (for example { events = module.trigger.queue_name, worker = module.worker.queue_name })."
  type        = map(string)
  default     = {}
}

variable "dead_letter_queues" {
  description = "Queues that must stay empty (dead-letter and failure queues), keyed by a short label."
  type        = map(string)
  default     = {}
}

variable "rejection_ratio_threshold" {
  description = "Rejected rows over rows read drawn as a line on the rejection-ratio graph (the alarms module's threshold: keep them equal)."
  type        = number
  default     = 0.01

  validation {
    condition     = var.rejection_ratio_threshold > 0 && var.rejection_ratio_threshold < 1
    error_message = "rejection_ratio_threshold must be between 0 and 1."
  }
}

variable "period_seconds" {
  description = "Period of every graph, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.period_seconds)
    error_message = "period_seconds must be one of 60, 300, 900, 3600."
  }
}
