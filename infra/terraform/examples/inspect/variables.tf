variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Name of the function; prefixes the queues and alarms."
  type        = string
  default     = "sluice-inspect"
}

variable "source_bucket_name" {
  description = "Bucket where CSV files land (created by this example)."
  type        = string
}

variable "destination_bucket_name" {
  description = "Bucket receiving one JSON document per CSV object, at {destination_prefix}{source key}.json (created by this example)."
  type        = string
}

variable "log_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the other two (created by this example)."
  type        = string
}

variable "source_prefix" {
  description = "Only keys under this prefix are inspected."
  type        = string
  default     = "incoming/"
}

variable "destination_prefix" {
  description = "Prefix of the document keys."
  type        = string
  default     = "inspected/"
}

variable "suffix" {
  description = "Only keys ending with this are inspected (the trigger's filter too); \".gz\" for gzip-compressed files, \"\" for every object."
  type        = string
  default     = ".csv"
}

variable "layer_bucket" {
  description = "Existing bucket holding the layer zip built by scripts/package-layer.sh (dist/sluice-layer-arm64.zip). The function's stub package is written there too, under artifact_prefix."
  type        = string
}

variable "layer_key" {
  description = "Key of the layer zip in layer_bucket."
  type        = string
  default     = "sluice/layers/sluice-layer-arm64.zip"
}

variable "layer_object_version" {
  description = "Version of the layer zip object (versioned bucket): pins the deployed build, and a new one makes a new layer version. Null takes the current object, and a re-upload is not noticed."
  type        = string
  default     = null
}

variable "artifact_prefix" {
  description = "Key prefix of the stub function package written to layer_bucket."
  type        = string
  default     = "sluice/"
}

variable "memory_size" {
  description = "Function memory in MB; the scan runs in a few MB, more memory buys CPU (128-10240)."
  type        = number
  default     = 512
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
