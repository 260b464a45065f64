provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

locals {
  image_uri = "${aws_ecr_repository.sluice.repository_url}:${var.image_tag}"
}

# --- The image: the function and the worker fleet run the same one ----------------------
# Created first (terraform apply -target=aws_ecr_repository.sluice), then the image built
# from the repository's Dockerfile is pushed with an immutable tag, then the rest applied.

resource "aws_ecr_repository" "sluice" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.ecr_kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "sluice" {
  repository = aws_ecr_repository.sluice.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.images_kept} images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.images_kept }
      action       = { type = "expire" }
    }]
  })
}

# --- Buckets ---------------------------------------------------------------------------------

module "log_bucket" {
  source = "../../modules/buckets"

  name                    = var.log_bucket_name
  expiration_days         = 90
  accept_access_logs_from = [var.source_bucket_name, var.destination_bucket_name]
}

module "source_bucket" {
  source = "../../modules/buckets"

  name           = var.source_bucket_name
  access_logging = { bucket = module.log_bucket.name, prefix = "s3/${var.source_bucket_name}/" }
}

module "destination_bucket" {
  source = "../../modules/buckets"

  name           = var.destination_bucket_name
  access_logging = { bucket = module.log_bucket.name, prefix = "s3/${var.destination_bucket_name}/" }
}

# --- The function: objects below lambda_max_bytes ----------------------------------------------

module "function" {
  source = "../../modules/function"

  name         = var.name
  package_type = "image"
  image_uri    = local.image_uri

  io = {
    source_bucket      = module.source_bucket.name
    source_prefix      = var.source_prefix
    destination_bucket = module.destination_bucket.name
    destination_prefix = var.destination_prefix
  }
  job    = "filter"
  filter = var.filter

  # An object the function cannot finish before its deadline is forwarded to the fleet.
  overflow_queue = {
    url         = module.worker.queue_url
    arn         = module.worker.queue_arn
    kms_key_arn = module.worker.kms_key_arn
  }
}

# --- The worker fleet: objects of lambda_max_bytes or more ---------------------------------------

# The tasks only call AWS APIs over HTTPS: no ingress, egress to 443.
resource "aws_security_group" "worker" {
  #checkov:skip=CKV2_AWS_5:Attached to the worker tasks: module.worker puts it in aws_ecs_service.network_configuration.security_groups, which checkov's graph does not follow through a module input.
  name        = "${var.name}-worker"
  description = "Sluice worker tasks: outbound HTTPS to S3, SQS, ECR and CloudWatch Logs; no inbound"
  vpc_id      = var.vpc_id

  egress {
    description = "HTTPS to AWS endpoints (public, or VPC endpoints in the VPC)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# Objects travel between S3 and the tasks through a gateway endpoint: no NAT charge per GB.
resource "aws_vpc_endpoint" "s3" {
  count = length(var.s3_endpoint_route_table_ids) > 0 ? 1 : 0

  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.s3_endpoint_route_table_ids
}

module "worker" {
  source = "../../modules/worker"

  name      = "${var.name}-worker"
  image_uri = local.image_uri

  # The same job, with exactly the function's data permissions.
  environment      = module.function.job_environment
  data_policy_json = module.function.data_policy_json

  task_size = var.worker_task_size
  max_tasks = var.max_tasks

  subnet_ids         = var.subnet_ids
  security_group_ids = [aws_security_group.worker.id]
  assign_public_ip   = var.assign_public_ip

  allowed_event_rule_arns = [module.trigger.worker_rule_arn]
}

# --- Routing by size: S3 -> EventBridge -> the function's queue or the worker queue ---------------

module "trigger" {
  source = "../../modules/trigger"

  name               = var.name
  mode               = "eventbridge"
  function_delivery  = "queue"
  bucket_name        = module.source_bucket.name
  filter_prefix      = var.source_prefix
  filter_suffix      = ".csv"
  function_name      = module.function.function_name
  function_arn       = module.function.function_arn
  function_role_name = module.function.role_name
  function_timeout   = module.function.timeout

  worker_queue_arn                   = module.worker.queue_arn
  lambda_throughput_bytes_per_second = var.lambda_throughput_bytes_per_second

  batch_size          = 1 # an object per invocation: each gets the whole timeout
  maximum_concurrency = 10
}

# --- Alarms: dead-letter queues not empty, oldest message age -----------------------------------

module "alarms" {
  source = "../../modules/alarms"

  name          = var.name
  function_name = module.function.function_name
  trigger_mode  = "queue"
  queue_name    = module.trigger.queue_name
  dead_letter_queues = {
    failures    = module.function.failure_queue_name
    events-dlq  = module.trigger.dead_letter_queue_name
    routing-dlq = module.trigger.routing_dead_letter_queue_name
    worker-dlq  = module.worker.dead_letter_queue_name
  }
  queue_age_alarms = {
    worker = { queue_name = module.worker.queue_name, threshold_seconds = var.worker_age_alarm_seconds }
  }
  function_timeout_seconds = module.function.timeout
  metrics = {
    function = module.function.metrics
    worker   = merge(module.function.metrics, { service = module.worker.metrics_service })
  }
  email_subscriptions = var.alarm_emails
}

# --- Dashboard: throughput, rows by outcome, rejection ratio, errors, duration, queues ---

module "dashboard" {
  source = "../../modules/dashboard"

  name   = var.name
  region = var.region
  metrics = {
    function = module.function.metrics
    worker   = merge(module.function.metrics, { service = module.worker.metrics_service })
  }
  function = { name = module.function.function_name, timeout_seconds = module.function.timeout }
  queues   = { events = module.trigger.queue_name, worker = module.worker.queue_name }
  dead_letter_queues = {
    failures    = module.function.failure_queue_name
    events-dlq  = module.trigger.dead_letter_queue_name
    routing-dlq = module.trigger.routing_dead_letter_queue_name
    worker-dlq  = module.worker.dead_letter_queue_name
  }
}
