# --- Identity and packaging -------------------------------------------------

variable "name" {
  description = "Function name; also names the role, log group and failure queue."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 letters, digits, hyphens or underscores (room is left for the -failures suffix of the queue)."
  }
}

variable "description" {
  description = "Function description."
  type        = string
  default     = "Sluice: CSV processing on S3 object creation"
}

variable "package_type" {
  description = "How the code is shipped: \"zip\" (zip_file is the function package), \"image\" (image_uri), or \"layer\" (zip_file is a layer with bootstrap at its root, uploaded to artifact_bucket)."
  type        = string
  default     = "zip"

  validation {
    condition     = contains(["zip", "image", "layer"], var.package_type)
    error_message = "package_type must be one of: zip, image, layer."
  }
}

variable "zip_file" {
  description = "Local path of the zip built by scripts/package-zip.sh (package_type = \"zip\") or scripts/package-layer.sh (package_type = \"layer\", unless layer_s3 is set)."
  type        = string
  default     = null
}

variable "image_uri" {
  description = "ECR image URI (package_type = \"image\"), built from the repository's Dockerfile."
  type        = string
  default     = null
}

variable "layer_s3" {
  description = "A layer zip already stored in S3 (package_type = \"layer\"): bucket, key and, for a versioned bucket, object_version (pin it, so that a new upload changes the plan). When set, zip_file is not needed and nothing is uploaded for the layer; the stub function code still goes to artifact_bucket, which defaults to this bucket."
  type = object({
    bucket         = string
    key            = string
    object_version = optional(string)
  })
  default = null

  validation {
    condition     = var.layer_s3 == null || (length(try(var.layer_s3.bucket, "")) > 0 && length(try(var.layer_s3.key, "")) > 0)
    error_message = "layer_s3 needs a bucket and a key."
  }
}

variable "artifact_bucket" {
  description = "Bucket that receives the layer zip (unless layer_s3 is set) and the stub function code (package_type = \"layer\"). Null with layer_s3 means layer_s3.bucket."
  type        = string
  default     = null
}

variable "artifact_prefix" {
  description = "Key prefix for objects written to artifact_bucket."
  type        = string
  default     = "sluice/"
}

variable "architecture" {
  description = "Instruction set: arm64 (what the packaging scripts build) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

# --- Sizing and failure handling ----------------------------------------------

variable "memory_size" {
  description = "Memory in MB (CPU and network scale with it; sluice reads and writes S3 over 4 connections below 1,769 MB, 8 below 3,538 MB, 16 above: see the README's Performance section). Sluice streams, so memory does not need to grow with the file."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout in seconds (Lambda allows at most 900)."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) this function; -1 leaves it unreserved, 0 pauses it."
  type        = number
  default     = 10

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved), 0 (paused) or a positive number."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed asynchronous (direct S3) invocation before it goes to the failure queue."
  type        = number
  default     = 2

  validation {
    condition     = contains([0, 1, 2], var.maximum_retry_attempts)
    error_message = "maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "Age after which an unprocessed asynchronous event goes to the failure queue."
  type        = number
  default     = 21600

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 21600
    error_message = "maximum_event_age_in_seconds must be between 60 and 21600."
  }
}

# --- Logs and keys ------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the /aws/lambda/<name> log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key for the function's data at rest: environment variables, log group and failure queue. Its key policy must allow logs.<region>.amazonaws.com. Null uses AWS managed encryption (SSE-SQS for the queue)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "s3_kms_key_arns" {
  description = "KMS keys of SSE-KMS source or destination buckets; the role may use them (kms:Decrypt, kms:GenerateDataKey) and nothing else."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.s3_kms_key_arns : can(regex("^arn:[a-z-]+:kms:", k))])
    error_message = "s3_kms_key_arns must hold KMS key ARNs."
  }
}

variable "permissions_boundary_arn" {
  description = "IAM permissions boundary for the execution role, where the organisation requires one."
  type        = string
  default     = null
}

# --- What the function reads, writes and does (the SLUICE_* contract) -----------

variable "io" {
  description = "Where the function reads and writes. Prefixes may be empty. The destination must not overlap the source: the same bucket needs disjoint prefixes, or every output would trigger another run."
  type = object({
    source_bucket      = string
    source_prefix      = optional(string, "")
    destination_bucket = string
    destination_prefix = optional(string, "")
  })

  validation {
    condition = !(
      var.io.source_bucket == var.io.destination_bucket && (
        startswith(var.io.source_prefix, var.io.destination_prefix) ||
        startswith(var.io.destination_prefix, var.io.source_prefix)
      )
    )
    error_message = "The destination overlaps the source: with source_bucket == destination_bucket, source_prefix and destination_prefix must be non-empty and neither may be a prefix of the other (a recursion loop otherwise)."
  }

  validation {
    condition     = !startswith(var.io.source_prefix, "/") && !startswith(var.io.destination_prefix, "/")
    error_message = "S3 key prefixes do not start with \"/\"."
  }
}

variable "suffix" {
  description = "Only keys ending with this are processed (SLUICE_SUFFIX); match it with the trigger's filter_suffix."
  type        = string
  default     = ".csv"
}

variable "job" {
  description = "Job to run on each object (SLUICE_JOB)."
  type        = string
  default     = "filter"

  validation {
    # Jobs join this list as the binary gains them.
    condition     = contains(["filter", "report", "load", "inspect"], var.job)
    error_message = "job must be one of: filter, report, load, inspect."
  }
}

variable "log_level" {
  description = "Log level of the binary (SLUICE_LOG_LEVEL)."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level must be one of: error, warn, info, debug."
  }
}

variable "filter" {
  description = "Filter job options: threshold (SLUICE_THRESHOLD), columns by name or 1-based index, empty for all (SLUICE_COLUMNS), all (SLUICE_ALL), or instead of those three an S3 Select-style condition (where, SLUICE_WHERE: \"region = 'West' AND amount > 100\"); the columns to write (select, SLUICE_SELECT; empty: whole rows byte for byte); delimiter, or \"auto\" (SLUICE_DELIMITER); no_header (SLUICE_NO_HEADER)."
  type = object({
    threshold = optional(number, 4.7)
    columns   = optional(list(string), [])
    all       = optional(bool, false)
    where     = optional(string)
    select    = optional(list(string), [])
    delimiter = optional(string, ",")
    no_header = optional(bool, false)
  })
  default = {}

  validation {
    condition     = length(var.filter.delimiter) == 1 || var.filter.delimiter == "auto"
    error_message = "filter.delimiter must be a single character, or \"auto\"."
  }

  validation {
    condition     = var.filter.where == null || (length(var.filter.columns) == 0 && !var.filter.all)
    error_message = "filter.where replaces threshold, columns and all: set columns and all only without it."
  }

  validation {
    condition     = alltrue([for c in var.filter.columns : length(trimspace(c)) > 0 && !strcontains(c, ",")])
    error_message = "filter.columns entries must be non-empty and contain no comma."
  }
}

variable "load" {
  description = "Load job target (required when job = \"load\"): DynamoDB table ARN (SLUICE_TABLE gets its name), partition key column (SLUICE_KEY), optional sort key column (SLUICE_SORT_KEY), strings: every non-key value a string (SLUICE_STRINGS), replace: put whole items instead of merging columns (SLUICE_REPLACE). Grants BatchWriteItem, UpdateItem, PutItem and DescribeTable on that table only. Null grants no DynamoDB access."
  type = object({
    table_arn = string
    key       = optional(string, "customer_id")
    sort_key  = optional(string)
    strings   = optional(bool, false)
    replace   = optional(bool, false)
  })
  default = null

  validation {
    condition     = var.load == null || can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}$", var.load.table_arn))
    error_message = "load.table_arn must be a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "environment_extra" {
  description = "Further environment variables. They cannot override the SLUICE_* variables this module sets from its typed inputs."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(keys(var.environment_extra), [
      "SLUICE_JOB", "SLUICE_DEST_BUCKET", "SLUICE_DEST_PREFIX", "SLUICE_SOURCE_PREFIX", "SLUICE_SUFFIX",
      "SLUICE_LOG_LEVEL", "SLUICE_THRESHOLD", "SLUICE_COLUMNS", "SLUICE_ALL", "SLUICE_DELIMITER",
      "SLUICE_NO_HEADER", "SLUICE_TABLE", "SLUICE_KEY", "SLUICE_SORT_KEY", "SLUICE_STRINGS", "SLUICE_REPLACE",
      "SLUICE_OVERFLOW_QUEUE_URL",
    ])) == 0
    error_message = "environment_extra must not set a SLUICE_* variable that has a typed input (job, io, suffix, log_level, filter, load, overflow_queue)."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

variable "report" {
  description = "Report job options: columns maps a role (region, category, sub_category, ship_mode, cost_price, list_price, quantity, discount_percent) to its header name when it differs from the default (SLUICE_REPORT_COLUMNS); missing lists the ship-mode values that mean none (SLUICE_MISSING_VALUES)."
  type = object({
    columns = optional(map(string), {})
    missing = optional(list(string), ["Not Available"])
  })
  default = {}

  validation {
    condition = alltrue([for role in keys(var.report.columns) : contains(
      ["region", "category", "sub_category", "ship_mode", "cost_price", "list_price", "quantity", "discount_percent"], role
    )])
    error_message = "report.columns keys must be roles: region, category, sub_category, ship_mode, cost_price, list_price, quantity, discount_percent."
  }
}

variable "overflow_queue" {
  description = "The worker fleet's queue (the worker module's queue_url, queue_arn and, for a customer managed key, kms_key_arn). When set, the function gets SLUICE_OVERFLOW_QUEUE_URL and may send to that queue only: an object too large to finish before the deadline, at min_mb_per_sec (SLUICE_MIN_MB_PER_SEC; keep it at the trigger's lambda_throughput_bytes_per_second / 1e6), is forwarded there instead of started. Null: no forwarding."
  type = object({
    url            = string
    arn            = string
    kms_key_arn    = optional(string)
    min_mb_per_sec = optional(number, 5)
  })
  default = null

  validation {
    condition     = var.overflow_queue == null || can(regex("^https://", var.overflow_queue.url)) && can(regex("^arn:[a-z-]+:sqs:", var.overflow_queue.arn))
    error_message = "overflow_queue needs the queue's https:// URL and its SQS ARN."
  }

  validation {
    condition     = try(var.overflow_queue.kms_key_arn, null) == null || can(regex("^arn:[a-z-]+:kms:", var.overflow_queue.kms_key_arn))
    error_message = "overflow_queue.kms_key_arn must be a KMS key ARN."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the per-object metrics the binary prints (SLUICE_METRICS_NAMESPACE); their dimensions are Service (the function's name) and Job."
  type        = string
  default     = "Sluice"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 letters, digits or . _ / # : - and not start with AWS/."
  }
}
