provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

# --- The image repository ------------------------------------------------------------
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

# --- Buckets ---------------------------------------------------------------------------

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

# --- The function, from the image -------------------------------------------------------

module "function" {
  source = "../../modules/function"

  name         = var.name
  package_type = "image"
  image_uri    = "${aws_ecr_repository.sluice.repository_url}:${var.image_tag}"
  memory_size  = var.memory_size

  io = {
    source_bucket      = module.source_bucket.name
    source_prefix      = var.source_prefix
    destination_bucket = module.destination_bucket.name
    destination_prefix = var.destination_prefix
  }
  job    = "report"
  report = var.report
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
