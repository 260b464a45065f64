terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.90, < 7.0"
    }
  }

  # Remote state in S3, configured at init time so that no account detail is
  # committed:  terraform init -backend-config=backend.hcl
  # backend.hcl (see backend.hcl.example):
  #   bucket       = "acme-terraform-state"
  #   key          = "sluice/filter-fleet.tfstate"
  #   region       = "eu-west-1"
  #   encrypt      = true
  #   use_lockfile = true                  # S3-native locking, Terraform >= 1.10
  #   # dynamodb_table = "terraform-locks" # locking on Terraform < 1.10
  # To try the example with local state instead, comment out this block.
  backend "s3" {}
}
