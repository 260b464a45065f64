terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Checked against the 5.99 schema (infra/tests/schema_check.py).
      version = "~> 5.90"
    }
  }
}
