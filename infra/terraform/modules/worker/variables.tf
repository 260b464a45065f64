# --- Identity and image ---------------------------------------------------------

variable "name" {
  description = "Name of the fleet: the ECS service, task family, log group /ecs/<name>, roles <name>-task and <name>-execution, queues <name>-work and <name>-work-dlq, and (unless cluster_arn is given) the cluster."
  type        = string

  validation {
    # 64 characters for role names, less "-execution".
    condition     = can(regex("^[A-Za-z0-9_-]{1,54}$", var.name))
    error_message = "name must be 1-54 letters, digits, hyphens or underscores."
  }
}

variable "image_uri" {
  description = "The image built from the repository's Dockerfile (the same one the function runs in package_type = \"image\"); its /var/runtime/bootstrap is started as `worker --queue <this module's queue URL>`. An ECR image gets pull permissions for its repository only."
  type        = string

  validation {
    condition     = length(trimspace(var.image_uri)) > 0
    error_message = "image_uri must name an image."
  }
}

# --- The job: the same configuration and data permissions as the function ----------

variable "environment" {
  description = "The job configuration, SLUICE_* variables: pass the function module's job_environment so that both paths run the same job. AWS_REGION is set by the module; SLUICE_QUEUE_URL is the command line's --queue."
  type        = map(string)

  validation {
    condition     = contains(keys(var.environment), "SLUICE_JOB")
    error_message = "environment must hold the job configuration (SLUICE_JOB and the rest): pass the function module's job_environment."
  }

  validation {
    condition     = length(setintersection(keys(var.environment), ["SLUICE_QUEUE_URL", "SLUICE_OVERFLOW_QUEUE_URL", "AWS_REGION"])) == 0
    error_message = "environment must not set SLUICE_QUEUE_URL, SLUICE_OVERFLOW_QUEUE_URL (the worker has no deadline to overflow from) or AWS_REGION."
  }
}

variable "data_policy_json" {
  description = "IAM policy with the job's data permissions: pass the function module's data_policy_json, so that the task role holds exactly the function's data permissions, plus this module's queue."
  type        = string

  validation {
    condition     = can(jsondecode(var.data_policy_json).Statement)
    error_message = "data_policy_json must be an IAM policy document (JSON with a Statement)."
  }
}

# --- Size and scaling -------------------------------------------------------------

variable "task_size" {
  description = "Fargate task size: cpu in CPU units (1024 = 1 vCPU) and memory in MiB, one of the combinations Fargate accepts. The worker processes one object at a time on one thread, in a few tens of MB: see the README's sizing table."
  type = object({
    cpu    = number
    memory = number
  })
  default = { cpu = 1024, memory = 2048 }

  validation {
    condition = contains(
      concat(
        [for m in [512, 1024, 2048] : "256/${m}"],
        [for m in range(1024, 4096 + 1, 1024) : "512/${m}"],
        [for m in range(2048, 8192 + 1, 1024) : "1024/${m}"],
        [for m in range(4096, 16384 + 1, 1024) : "2048/${m}"],
        [for m in range(8192, 30720 + 1, 1024) : "4096/${m}"],
        [for m in range(16384, 61440 + 1, 4096) : "8192/${m}"],
        [for m in range(32768, 122880 + 1, 8192) : "16384/${m}"],
      ),
      "${var.task_size.cpu}/${var.task_size.memory}",
    )
    error_message = "task_size must be a Fargate combination: cpu 256 with memory 512, 1024 or 2048; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384 (steps of 1024); 4096 with 8192-30720 (steps of 1024); 8192 with 16384-61440 (steps of 4096); 16384 with 32768-122880 (steps of 8192)."
  }
}

variable "max_tasks" {
  description = "Most tasks the fleet scales out to. The fleet is 0 when the queue is idle."
  type        = number
  default     = 4

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks <= 256 && floor(var.max_tasks) == var.max_tasks
    error_message = "max_tasks must be a whole number between 1 and 256."
  }
}

variable "scale_out_cooldown_seconds" {
  description = "Wait after adding tasks before adding more for the same backlog. Covers a task's start (image pull, one receive) and the lag of SQS metrics, so that one waiting object does not start several tasks."
  type        = number
  default     = 300

  validation {
    condition     = var.scale_out_cooldown_seconds >= 60 && var.scale_out_cooldown_seconds <= 3600
    error_message = "scale_out_cooldown_seconds must be between 60 and 3600."
  }
}

variable "scale_out_age_seconds" {
  description = "Latency backstop: while a message is waiting (visible) and the oldest message in the queue is older than this, one more task is added per cooldown, up to max_tasks, whatever the count-based steps did."
  type        = number
  default     = 900

  validation {
    condition     = var.scale_out_age_seconds >= 60
    error_message = "scale_out_age_seconds must be at least 60."
  }
}

variable "scale_in_idle_minutes" {
  description = "Minutes the queue must hold no message at all (none waiting, none in flight) before the fleet goes back to 0 tasks."
  type        = number
  default     = 10

  validation {
    condition     = var.scale_in_idle_minutes >= 1 && var.scale_in_idle_minutes <= 60 && floor(var.scale_in_idle_minutes) == var.scale_in_idle_minutes
    error_message = "scale_in_idle_minutes must be a whole number between 1 and 60."
  }
}

variable "stop_timeout_seconds" {
  description = "Time between SIGTERM and SIGKILL when a task stops (deployments; scale-in only happens when the queue is idle). On SIGTERM the worker finishes the current object and hands the other received messages back. Fargate allows at most 120."
  type        = number
  default     = 120

  validation {
    condition     = var.stop_timeout_seconds >= 2 && var.stop_timeout_seconds <= 120
    error_message = "stop_timeout_seconds must be between 2 and 120 (Fargate's maximum)."
  }
}

# --- Queue -------------------------------------------------------------------------

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the work queue. The worker extends a message's visibility every half of it while the object is processed, so it bounds how soon a message comes back after its task died, not how long an object may take."
  type        = number
  default     = 600

  validation {
    condition     = var.visibility_timeout_seconds >= 60 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 60 and 43200."
  }
}

variable "max_receive_count" {
  description = "Deliveries of a message before it moves to the dead-letter queue. A task stopped in the middle of an object (a deployment) counts as one."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "allowed_event_rule_arns" {
  description = "EventBridge rules that may send to the work queue (the trigger module's worker_rule_arn in eventbridge mode). Same-account senders with IAM permission (the function's overflow) need no entry."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.allowed_event_rule_arns : can(regex("^arn:[a-z-]+:events:", a))])
    error_message = "allowed_event_rule_arns must hold EventBridge rule ARNs."
  }
}

# --- Networking ---------------------------------------------------------------------

variable "cluster_arn" {
  description = "ECS cluster to run in. Null creates a cluster named after the fleet, with Container Insights."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_arn == null || can(regex("^arn:[a-z-]+:ecs:[a-z0-9-]+:[0-9]{12}:cluster/", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN."
  }
}

variable "subnet_ids" {
  description = "Subnets of the tasks. They need a route to S3, SQS, ECR and CloudWatch Logs: an S3 gateway endpoint (recommended: no NAT charge on the objects) plus a NAT gateway or interface endpoints, or public subnets with assign_public_ip."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must hold at least one subnet ID (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the tasks. The worker only makes outbound HTTPS calls: egress to 443, no ingress."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "security_group_ids must hold at least one security group ID (sg-...)."
  }
}

variable "assign_public_ip" {
  description = "Give each task a public IP (public subnets without NAT). Keep false in private subnets."
  type        = bool
  default     = false
}

# --- Logs, keys, tags ----------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the /ecs/<name> log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "Customer managed key for the log group and both queues (as the function's kms_key_arn). Its key policy must allow logs.<region>.amazonaws.com, and events.amazonaws.com for EventBridge to send to the queue. Null uses AWS managed encryption (SSE-SQS for the queues)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "permissions_boundary_arn" {
  description = "IAM permissions boundary for both roles, where the organisation requires one."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
