# The body is built in body.tf (locals only, so infra/tests renders it offline).
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode(local.body)
}
