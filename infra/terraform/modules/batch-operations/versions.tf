terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x or 6.x: checked against the 5.99 and the 6.25 schemas (infra/tests/schema_check.py).
      version = ">= 5.90, < 7.0"
    }
  }
}
