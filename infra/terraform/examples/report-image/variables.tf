variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Name of the function and its image repository; prefixes the queues and alarms."
  type        = string
  default     = "sluice-report"
}

variable "image_tag" {
  description = "Tag of the image pushed to the repository (immutable tags: a new build gets a new tag, e.g. the git commit)."
  type        = string
}

variable "images_kept" {
  description = "How many images the repository keeps; older ones expire."
  type        = number
  default     = 10
}

variable "ecr_kms_key_arn" {
  description = "Customer managed KMS key for the image repository; null uses the AWS managed key for ECR."
  type        = string
  default     = null
}

variable "memory_size" {
  description = "Function memory in MB. The report job keeps one row and its groups in memory, so the default suffices for any file size."
  type        = number
  default     = 512
}

variable "source_bucket_name" {
  description = "Bucket where order exports land (created by this example)."
  type        = string
}

variable "destination_bucket_name" {
  description = "Bucket receiving the partitioned reports (created by this example)."
  type        = string
}

variable "log_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the other two (created by this example)."
  type        = string
}

variable "source_prefix" {
  description = "Only keys under this prefix are processed."
  type        = string
  default     = "orders/"
}

variable "destination_prefix" {
  description = "Prefix of the reports: <prefix><report>/ingest_date=YYYY-MM-DD/<source stem>.csv."
  type        = string
  default     = "reports/"
}

variable "report" {
  description = "Report options (see the function module): columns (role => header name), missing (ship-mode markers)."
  type = object({
    columns = optional(map(string), {})
    missing = optional(list(string), ["Not Available"])
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
