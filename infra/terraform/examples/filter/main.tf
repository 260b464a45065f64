provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

locals {
  lambda_zip = coalesce(var.lambda_zip, "${path.module}/../../../../dist/sluice-lambda-arm64.zip")
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

module "function" {
  source = "../../modules/function"

  name         = var.name
  package_type = "zip"
  zip_file     = local.lambda_zip

  io = {
    source_bucket      = module.source_bucket.name
    source_prefix      = var.source_prefix
    destination_bucket = module.destination_bucket.name
    destination_prefix = var.destination_prefix
  }
  job    = "filter"
  filter = var.filter
}

module "trigger" {
  source = "../../modules/trigger"

  name               = var.name
  mode               = "direct"
  bucket_name        = module.source_bucket.name
  filter_prefix      = var.source_prefix
  filter_suffix      = ".csv"
  function_name      = module.function.function_name
  function_arn       = module.function.function_arn
  function_role_name = module.function.role_name
  function_timeout   = module.function.timeout
}

# Backfills of what is already in the source bucket: S3 Batch Operations invokes the function
# once per object of a manifest kept in the destination bucket (outside destination_prefix).
module "batch_operations" {
  source = "../../modules/batch-operations"

  name                = "${var.name}-batch-operations"
  function_arn        = module.function.function_arn
  manifest_bucket_arn = module.destination_bucket.arn
  report_bucket_arn   = module.destination_bucket.arn
  kms_key_arns        = [for k in [module.destination_bucket.kms_key_arn] : k if k != null]
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
