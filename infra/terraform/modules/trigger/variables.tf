variable "name" {
  description = "Name for the queues (queue mode, and eventbridge mode with function_delivery = \"queue\"): <name>-events and <name>-events-dlq; in eventbridge mode also the rules <name>-lambda and <name>-worker and the queue <name>-routing-dlq. Usually the function name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "mode" {
  description = "\"direct\": S3 invokes the function asynchronously. \"queue\": S3 sends events to an SQS queue (with a dead-letter queue) that the function polls. \"eventbridge\": S3 sends events to EventBridge, where two rules route them by object size: below lambda_max_bytes to the function (as function_delivery says), at or above it (or of unknown size) to worker_queue_arn."
  type        = string
  default     = "direct"

  validation {
    condition     = contains(["direct", "queue", "eventbridge"], var.mode)
    error_message = "mode must be \"direct\", \"queue\" or \"eventbridge\"."
  }
}

variable "function_delivery" {
  description = "eventbridge mode: how the small objects' events reach the function. \"direct\": the rule invokes it asynchronously (retries and failure queue of the function module). \"queue\": the rule sends them to the <name>-events queue, which the function polls, as in queue mode."
  type        = string
  default     = "direct"

  validation {
    condition     = contains(["direct", "queue"], var.function_delivery)
    error_message = "function_delivery must be \"direct\" or \"queue\"."
  }
}

variable "worker_queue_arn" {
  description = "eventbridge mode: the worker fleet's queue (the worker module's queue_arn), which receives the large objects' events. The worker module must admit this module's worker_rule_arn (its allowed_event_rule_arns)."
  type        = string
  default     = null

  validation {
    condition     = var.worker_queue_arn == null || can(regex("^arn:[a-z-]+:sqs:", var.worker_queue_arn))
    error_message = "worker_queue_arn must be an SQS queue ARN."
  }
}

variable "lambda_max_bytes" {
  description = "eventbridge mode: objects of this size or more go to the worker queue, smaller ones to the function. Null computes it from function_timeout and lambda_throughput_bytes_per_second (see the README). At most 5,000,000,000: EventBridge documents numeric matching up to 5.0e9."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_max_bytes == null || try(var.lambda_max_bytes >= 1 && var.lambda_max_bytes <= 5000000000 && floor(var.lambda_max_bytes) == var.lambda_max_bytes, false)
    error_message = "lambda_max_bytes must be null or a whole number of bytes between 1 and 5000000000."
  }
}

variable "lambda_throughput_bytes_per_second" {
  description = "eventbridge mode: the rate, in bytes of object per second, at which the function is trusted to process an object, for the default lambda_max_bytes. The default 5,000,000 (5 MB/s) is conservative for a 512 MB function (see the README); raise it with the function's memory."
  type        = number
  default     = 5000000

  validation {
    condition     = var.lambda_throughput_bytes_per_second >= 100000
    error_message = "lambda_throughput_bytes_per_second must be at least 100000."
  }
}

variable "bucket_name" {
  description = "Source bucket. The module owns its notification configuration (S3 allows one per bucket)."
  type        = string
}

variable "filter_prefix" {
  description = "Only keys starting with this prefix raise events. Empty for the whole bucket."
  type        = string
  default     = ""
}

variable "filter_suffix" {
  description = "Only keys ending with this suffix raise events."
  type        = string
  default     = ".csv"
}

variable "function_name" {
  description = "Name of the function to invoke."
  type        = string
}

variable "function_arn" {
  description = "ARN of the function to invoke."
  type        = string
}

variable "function_role_name" {
  description = "Execution role of the function; in queue mode the module attaches the queue-consumer permissions to it."
  type        = string
}

variable "function_timeout" {
  description = "Function timeout in seconds; the queue's visibility timeout is 6 times this plus the batching window, as AWS recommends. In eventbridge mode it also sets the default lambda_max_bytes."
  type        = number
  default     = 900

  validation {
    condition     = var.function_timeout >= 1 && var.function_timeout <= 900
    error_message = "function_timeout must be between 1 and 900 seconds."
  }
}

variable "batch_size" {
  description = "Queue mode: most messages per invocation (above 10 needs a batching window)."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Queue mode: how long to gather messages before invoking."
  type        = number
  default     = 0

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

variable "maximum_concurrency" {
  description = "Queue mode: most concurrent invocations the queue drives; keep it at or below the function's reserved concurrency so that throttled batches do not end in the dead-letter queue. Null leaves it unbounded."
  type        = number
  default     = null

  validation {
    condition     = var.maximum_concurrency == null || try(var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000, false)
    error_message = "maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "max_receive_count" {
  description = "Queue mode: deliveries of a message before it moves to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "kms_key_arn" {
  description = "Queue mode: customer managed key for both queues (and, in eventbridge mode, the routing DLQ). Its key policy must let s3.amazonaws.com (queue mode) or events.amazonaws.com (eventbridge mode) use it (kms:GenerateDataKey, kms:Decrypt). Null uses SSE-SQS."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
