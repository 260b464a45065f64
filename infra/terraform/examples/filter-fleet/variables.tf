variable "region" {
  description = "AWS region to deploy into."
  type        = string
}

variable "name" {
  description = "Name of the function and its image repository; prefixes the worker fleet (<name>-worker), rules, queues and alarms."
  type        = string
  default     = "sluice-fleet"
}

variable "image_tag" {
  description = "Tag of the image pushed to the repository (immutable tags: a new build gets a new tag, e.g. the git commit). The function and the worker fleet both run it."
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

variable "source_bucket_name" {
  description = "Bucket where CSV files land (created by this example)."
  type        = string
}

variable "destination_bucket_name" {
  description = "Bucket receiving the filtered files (created by this example)."
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

variable "lambda_throughput_bytes_per_second" {
  description = "Rate at which the function (512 MB) is trusted to process an object; with its 900 s timeout it sets the size from which objects go to the fleet (80% of 900 s at 5 MB/s: 3.6 GB)."
  type        = number
  default     = 5000000
}

variable "vpc_id" {
  description = "VPC of the worker tasks (the default VPC will do: see the README)."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the worker tasks, in vpc_id. Private subnets need a NAT gateway or interface endpoints (SQS, ECR api and dkr, CloudWatch Logs); public ones need assign_public_ip = true."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give each task a public IP: for public subnets without NAT, such as the default VPC's."
  type        = bool
  default     = false
}

variable "s3_endpoint_route_table_ids" {
  description = "Route tables of subnet_ids that get an S3 gateway endpoint (recommended for private subnets: objects then bypass the NAT gateway and its per-GB charge). Empty creates none (the VPC may have one already)."
  type        = list(string)
  default     = []
}

variable "worker_task_size" {
  description = "Fargate size of a worker task (cpu units, memory MiB); see the worker module's sizing table."
  type = object({
    cpu    = number
    memory = number
  })
  default = { cpu = 1024, memory = 2048 }
}

variable "max_tasks" {
  description = "Most worker tasks running at once; the fleet is 0 when its queue is idle."
  type        = number
  default     = 4
}

variable "worker_age_alarm_seconds" {
  description = "Alarm when the worker queue's oldest message (in flight included) is older than this: allow for the longest object."
  type        = number
  default     = 3600
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
