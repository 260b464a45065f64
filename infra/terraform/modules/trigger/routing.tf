# Size routing (mode = "eventbridge"): the event patterns of the two rules, built from the
# input variables alone. infra/tests/test_routing.py evaluates this file with
# `terraform console` next to variables.tf, then routes S3 events through moto's
# EventBridge with the patterns it rendered: keep resources and data sources out of it.

locals {
  # The largest object the function is trusted to finish before its timeout, in bytes:
  # 80% of the timeout (the rest is left for start-up, the last part's upload and the
  # commit) at lambda_throughput_bytes_per_second. 900 s at 5 MB/s: 3,600,000,000.
  lambda_time_share = 0.8
  lambda_max_bytes = coalesce(
    var.lambda_max_bytes,
    floor(var.function_timeout * local.lambda_time_share * var.lambda_throughput_bytes_per_second),
  )

  # S3's key filters as one matcher on detail.object.key. Two matchers on one field
  # would be an OR, so prefix and suffix together are a wildcard, with `*` and `\` of
  # the prefix and suffix escaped (EventBridge's wildcard escapes only those two).
  wildcard_escaped = {
    for k, v in { prefix = var.filter_prefix, suffix = var.filter_suffix } : k => replace(replace(v, "\\", "\\\\"), "*", "\\*")
  }
  key_matcher = (
    var.filter_prefix != "" && var.filter_suffix != "" ? tomap({ wildcard = "${local.wildcard_escaped.prefix}*${local.wildcard_escaped.suffix}" }) :
    var.filter_prefix != "" ? tomap({ prefix = var.filter_prefix }) :
    var.filter_suffix != "" ? tomap({ suffix = var.filter_suffix }) :
    null
  )
  key_filter = local.key_matcher == null ? {} : { key = [local.key_matcher] }

  # Every Object Created event of the bucket, under the key filters, matches exactly one
  # rule: size < lambda_max_bytes -> the function; size >= lambda_max_bytes, or no size
  # at all -> the worker queue (an object of unknown size goes where no deadline applies).
  routes = {
    lambda = [{ numeric = ["<", local.lambda_max_bytes] }]
    worker = [{ numeric = [">=", local.lambda_max_bytes] }, { exists = false }]
  }
  event_patterns = {
    for route, size in local.routes : route => jsonencode({
      source        = ["aws.s3"]
      "detail-type" = ["Object Created"]
      detail = {
        bucket = { name = [var.bucket_name] }
        object = merge(local.key_filter, { size = size })
      }
    })
  }
}
