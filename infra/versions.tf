# Terraform and provider pins. Upgrade the provider deliberately: a minor
# release may change plans for Firestore, Cloud Run functions or the load
# balancer.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.30"
    }
  }

  # State lives in a GCS bucket made out of band (versioned, uniform access):
  #   terraform init -backend-config="bucket=<state-bucket>" -backend-config="prefix=iam-service"
  backend "gcs" {}
}
