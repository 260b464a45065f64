variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Name of the function; prefixes the queues and alarms."
  type        = string
  default     = "sluice-filter-queued"
}

variable "source_bucket_name" {
  description = "Bucket where CSV files land (created by this example)."
  type        = string
}

variable "destination_bucket_name" {
  description = "Bucket receiving the filtered CSV files (created by this example)."
  type        = string
}

variable "log_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the other two (created by this example)."
  type        = string
}

variable "source_prefix" {
  description = "Only keys under this prefix are processed."
  type        = string
  default     = "incoming/"
}

variable "destination_prefix" {
  description = "Prefix of the output keys."
  type        = string
  default     = "filtered/"
}

variable "lambda_zip" {
  description = "Path of the zip built by scripts/package-zip.sh. Null means dist/sluice-lambda-arm64.zip at the repository root."
  type        = string
  default     = null
}

variable "filter" {
  description = "Filter options (see the function module): threshold, columns, all, delimiter, no_header."
  type = object({
    threshold = optional(number, 4.7)
    columns   = optional(list(string), [])
    all       = optional(bool, false)
    delimiter = optional(string, ",")
    no_header = optional(bool, false)
  })
  default = {}
}

variable "alarm_emails" {
  description = "Email addresses notified by the alarms."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = { project = "sluice" }
}

variable "batch_size" {
  description = "Messages (S3 events) per invocation."
  type        = number
  default     = 10
}

variable "maximum_concurrency" {
  description = "Most concurrent invocations driven by the queue; at most the function's reserved concurrency (10)."
  type        = number
  default     = 10
}
