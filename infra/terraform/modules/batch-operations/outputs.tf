output "role_arn" {
  description = "Role to pass as --role-arn to aws s3control create-job."
  value       = aws_iam_role.this.arn
}

output "report_prefix" {
  description = "Prefix the completion reports go under (create-job's --report Prefix, without the trailing slash)."
  value       = trimsuffix(var.report_prefix, "/")
}

output "manifest_prefix" {
  description = "Prefix the role may read manifests from."
  value       = var.manifest_prefix
}
