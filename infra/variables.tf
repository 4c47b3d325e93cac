# Inputs. Nothing secret is a variable: secret VALUES are added to Secret
# Manager out of band (see secrets.tf), never through Terraform state.

variable "project_id" {
  description = "The GCP project that hosts iam-service."
  type        = string
}

variable "regions" {
  description = "Residency regions (SPEC section 3: eu, me, us) and the GCP region of each one's Firestore database."
  type        = map(string)
  default = {
    eu = "europe-west1"
    me = "me-central2"
    us = "us-central1"
  }

  validation {
    condition     = toset(keys(var.regions)) == toset(["eu", "me", "us"])
    error_message = "regions must have exactly the keys eu, me and us (shared/domain/tenants/tenant.ts REGIONS)."
  }
}

variable "primary_region" {
  description = "Where the functions, the scheduler jobs, the platform database and the primary KMS key ring live."
  type        = string
  default     = "europe-west1"
}

variable "replica_region" {
  description = "Where the replica JWT signing key lives: the circuit breaker fails over to it when KMS in the primary region is down."
  type        = string
  default     = "europe-west4"

  validation {
    condition     = var.replica_region != var.primary_region
    error_message = "The replica key must be in another region than the primary one."
  }
}

variable "public_hostname" {
  description = "The public host of the HTTPS load balancer, e.g. id.melmastoon.com. The token issuer is https://<public_hostname>."
  type        = string
}

variable "function_source_bucket" {
  description = "GCS bucket holding one source archive per function, <function_source_prefix>/<name>.zip."
  type        = string
}

variable "function_source_prefix" {
  description = "Object prefix of the source archives inside function_source_bucket (e.g. a release id)."
  type        = string
  default     = "functions"
}

variable "jwt_key_versions" {
  description = "KMS crypto key versions of the JWT key served in the JWKS: current signs, next is pre-published, previous still verifies (null when none)."
  type = object({
    current  = number
    next     = optional(number)
    previous = optional(number)
  })
  default = { current = 1 }
}

variable "jwt_replica_key_versions" {
  description = "KMS crypto key versions of the replica-region JWT key (kms.tf jwt_replica) the signing circuit breaker fails over to: current, next and previous, like jwt_key_versions (null when none)."
  type = object({
    current  = number
    next     = optional(number)
    previous = optional(number)
  })
  default = { current = 1 }
}

variable "device_trust_anchor_pems" {
  description = "PEM roots the load balancer's mTLS trust config accepts for device certificates (the platform root)."
  type        = list(string)
  default     = []
}

variable "device_intermediate_pems" {
  description = "PEM per-tenant intermediates for the mTLS trust config (old and new while a CA rotation overlaps)."
  type        = list(string)
  default     = []
}

variable "tenant_event_publishers" {
  description = "IAM members of the platform allowed to publish tenant.created.v1 / tenant.updated.v1 (e.g. serviceAccount:tenants@...)."
  type        = list(string)
  default     = []
}

variable "erasure_publishers" {
  description = "IAM members of the GDPR saga allowed to publish gdpr.erasure.requested.v1."
  type        = list(string)
  default     = []
}

variable "trusted_proxies" {
  description = <<-EOT
    CIDRs whose X-Forwarded-For entries the functions trust when finding the
    client IP (shared/http/client-ip.ts): the external HTTPS load balancer's
    address and Google's front ends that connect to Cloud Run. Without them
    every client looks like the proxy, and per-(account, IP) lockout becomes
    per-account (R-09). Check the peer addresses on a real deployment.
  EOT
  type        = list(string)
  default     = ["35.191.0.0/16", "130.211.0.0/22", "169.254.0.0/16"]
}

variable "log_level" {
  description = "LOG_LEVEL of every function (shared/config.ts)."
  type        = string
  default     = "INFO"
}

variable "labels" {
  description = "Labels on every resource that takes them."
  type        = map(string)
  default = {
    service = "iam-service"
  }
}
