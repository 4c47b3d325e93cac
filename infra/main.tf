# Provider, project facts, and the shape shared with the local stack.
#
# topology.json is the production mirror of scripts/stack/topology.ts (the
# functions, the URL map, the topics and push subscriptions, the scheduled
# jobs). scripts/deploy-config.test.ts fails when the two disagree, so the
# local stack and production cannot drift apart silently.

provider "google" {
  project = var.project_id
  region  = var.primary_region
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  topology = jsondecode(file("${path.module}/topology.json"))

  # The functions, one service account each (service_accounts.tf).
  function_names = toset(local.topology.functions)

  # Firestore databases: the platform one (tenant directory) and one per region.
  platform_database = "(default)"
  regional_databases = {
    for region, location in var.regions : region => {
      name     = "iam-${region}"
      location = location
    }
  }

  issuer = "https://${var.public_hostname}"

  # Pub/Sub's service agent: mints push OIDC tokens, forwards to DLQs.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# The APIs iam-service uses.
resource "google_project_service" "api" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "certificatemanager.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "firebaserules.googleapis.com",
    "firestore.googleapis.com",
    "networksecurity.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
  ])

  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}
