variable "name" {
  description = "Role name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (1-64 letters, digits and +=,.@_-)."
  }
}

variable "function_arn" {
  description = "ARN of the Sluice function the jobs invoke (unqualified; its versions and aliases are allowed too)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.function_arn))
    error_message = "function_arn must be an unqualified Lambda function ARN."
  }
}

variable "manifest_bucket_arn" {
  description = "ARN of the bucket holding job manifests: CSV lists or S3 Inventory reports (manifest.json and its data files)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:s3:::[a-z0-9.-]{3,63}$", var.manifest_bucket_arn))
    error_message = "manifest_bucket_arn must be a bucket ARN (arn:aws:s3:::name)."
  }
}

variable "manifest_prefix" {
  description = "Only manifests under this prefix may be read (an inventory's destination prefix, or a folder of CSV lists)."
  type        = string
  default     = "batch-operations/manifests/"

  validation {
    condition     = var.manifest_prefix == "" || endswith(var.manifest_prefix, "/")
    error_message = "manifest_prefix must be empty or end with \"/\"."
  }
}

variable "report_bucket_arn" {
  description = "ARN of the bucket completion reports are written to."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:s3:::[a-z0-9.-]{3,63}$", var.report_bucket_arn))
    error_message = "report_bucket_arn must be a bucket ARN (arn:aws:s3:::name)."
  }
}

variable "report_prefix" {
  description = "Prefix of the completion reports (Batch Operations writes under it job-<id>/results/...)."
  type        = string
  default     = "batch-operations/reports/"

  validation {
    condition     = length(var.report_prefix) > 0 && endswith(var.report_prefix, "/")
    error_message = "report_prefix must be non-empty and end with \"/\": the role may write only under it."
  }
}

variable "kms_key_arns" {
  description = "KMS keys of the manifest and report buckets, when they use SSE-KMS."
  type        = list(string)
  default     = []
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the role, when the account requires one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
}
