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
  accept_access_logs_from = [var.bucket_name]
}

# Files land under source_prefix; rejected rows are written to the same
# bucket under rejects_prefix, which the trigger does not watch.
module "bucket" {
  source = "../../modules/buckets"

  name           = var.bucket_name
  access_logging = { bucket = module.log_bucket.name, prefix = "s3/${var.bucket_name}/" }
}

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed key (aws/dynamodb) by default; set table_kms_key_arn for a customer managed key.
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.partition_key.name
  range_key                   = var.sort_key == null ? null : var.sort_key.name
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = var.partition_key.name
    type = var.partition_key.type
  }

  dynamic "attribute" {
    for_each = var.sort_key == null ? [] : [var.sort_key]
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.table_kms_key_arn
  }
}

module "function" {
  source = "../../modules/function"

  name         = var.name
  package_type = "zip"
  zip_file     = local.lambda_zip

  io = {
    source_bucket      = module.bucket.name
    source_prefix      = var.source_prefix
    destination_bucket = module.bucket.name
    destination_prefix = var.rejects_prefix
  }
  job = "load"
  load = {
    table_arn = aws_dynamodb_table.this.arn
    key       = var.partition_key.name
    sort_key  = var.sort_key == null ? null : var.sort_key.name
    strings   = var.strings
    replace   = var.replace
  }
}

module "trigger" {
  source = "../../modules/trigger"

  name               = var.name
  mode               = "direct"
  bucket_name        = module.bucket.name
  filter_prefix      = var.source_prefix
  filter_suffix      = ".csv"
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
