provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

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

# The bootstrap ships as a Lambda layer made from a zip already in S3 (published by CI with
# scripts/package-layer.sh and `aws s3 cp`): Terraform builds and uploads nothing.
module "function" {
  source = "../../modules/function"

  name         = var.name
  description  = "Sluice inspect: a JSON document per CSV object"
  package_type = "layer"
  layer_s3 = {
    bucket         = var.layer_bucket
    key            = var.layer_key
    object_version = var.layer_object_version
  }
  artifact_prefix = var.artifact_prefix
  memory_size     = var.memory_size

  io = {
    source_bucket      = module.source_bucket.name
    source_prefix      = var.source_prefix
    destination_bucket = module.destination_bucket.name
    destination_prefix = var.destination_prefix
  }
  job    = "inspect"
  suffix = var.suffix
}

module "trigger" {
  source = "../../modules/trigger"

  name               = var.name
  mode               = "direct"
  bucket_name        = module.source_bucket.name
  filter_prefix      = var.source_prefix
  filter_suffix      = var.suffix
  function_name      = module.function.function_name
  function_arn       = module.function.function_arn
  function_role_name = module.function.role_name
  function_timeout   = module.function.timeout
}

module "alarms" {
  source = "../../modules/alarms"

  name                     = var.name
  function_name            = module.function.function_name
  trigger_mode             = "direct"
  dead_letter_queues       = { failures = module.function.failure_queue_name }
  function_timeout_seconds = module.function.timeout
  metrics                  = { function = module.function.metrics }
  email_subscriptions      = var.alarm_emails
}

# --- Dashboard: throughput, rows by outcome, rejection ratio, errors, duration, queues ---

module "dashboard" {
  source = "../../modules/dashboard"

  name               = var.name
  region             = var.region
  metrics            = { function = module.function.metrics }
  function           = { name = module.function.function_name, timeout_seconds = module.function.timeout }
  queues             = {}
  dead_letter_queues = { failures = module.function.failure_queue_name }
}
