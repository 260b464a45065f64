variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Name of the function; prefixes the queues and alarms."
  type        = string
  default     = "sluice-load"
}

variable "bucket_name" {
  description = "Bucket where CSV files land, and where rejected rows are written (created by this example)."
  type        = string
}

variable "log_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the data bucket (created by this example)."
  type        = string
}

variable "source_prefix" {
  description = "Only keys under this prefix are loaded."
  type        = string
  default     = "incoming/"

  validation {
    condition     = length(var.source_prefix) > 0
    error_message = "source_prefix must be non-empty: rejected rows go to the same bucket under rejects_prefix."
  }
}

variable "rejects_prefix" {
  description = "Rejected rows of s3://BUCKET/KEY go to s3://BUCKET/<rejects_prefix>_rejects/KEY. Must not overlap source_prefix."
  type        = string
  default     = "loaded/"
}

variable "table_name" {
  description = "DynamoDB table to create and load."
  type        = string
  default     = "customers"
}

variable "partition_key" {
  description = "The table's partition key: the CSV column of that name fills it. type is S (string) or N (number)."
  type = object({
    name = optional(string, "customer_id")
    type = optional(string, "S")
  })
  default = {}

  validation {
    condition     = contains(["S", "N"], var.partition_key.type)
    error_message = "partition_key.type must be S or N."
  }
}

variable "sort_key" {
  description = "The table's sort key, if any: the CSV column of that name fills it. type is S or N."
  type = object({
    name = string
    type = optional(string, "S")
  })
  default = null

  validation {
    condition     = var.sort_key == null || contains(["S", "N"], try(var.sort_key.type, ""))
    error_message = "sort_key.type must be S or N."
  }
}

variable "strings" {
  description = "Store every non-key value as a string (S) instead of inferring N and BOOL."
  type        = bool
  default     = false
}

variable "replace" {
  description = "Replace whole items (BatchWriteItem) instead of merging the file's columns into existing items (UpdateItem)."
  type        = bool
  default     = false
}

variable "table_kms_key_arn" {
  description = "Customer managed KMS key for the table; null uses the AWS managed key (aws/dynamodb)."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the table from deletion (turn off before terraform destroy)."
  type        = bool
  default     = true
}

variable "lambda_zip" {
  description = "Path of the zip built by scripts/package-zip.sh. Null means dist/sluice-lambda-arm64.zip at the repository root."
  type        = string
  default     = null
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
