# Secret Manager (SPEC section 1): the secrets exist here, their VALUES never
# do. An operator adds versions out of band:
#   gcloud secrets versions add iam-pepper --data-file=-
# Functions read them at cold start with @google-cloud/secret-manager, by the
# version names passed in their environment (functions.tf).

locals {
  secrets = {
    # Argon2id `secret` (pepper), 32 random bytes; kept outside the database.
    "iam-pepper" = {
      env      = "IAM_PEPPER_SECRET"
      accessor = ["token", "accounts", "jobs"] # login, password change, rehash-inactive wrapping
    }
    # AES-256-GCM key encrypting TOTP seeds at rest (SPEC 4.5).
    "iam-totp-encryption-key" = {
      env      = "IAM_TOTP_KEY_SECRET"
      accessor = ["mfa-verify"]
    }
    # Have I Been Pwned API key for the breach check (SPEC 4.1).
    "iam-hibp-api-key" = {
      env      = "IAM_HIBP_KEY_SECRET"
      accessor = ["accounts"]
    }
    # Bootstrap platform-admin credential that iamctl uses (issue 3).
    "iam-bootstrap-admin" = {
      env      = "IAM_BOOTSTRAP_ADMIN_SECRET"
      accessor = ["accounts"]
    }
  }

  secret_bindings = merge([
    for name, s in local.secrets : {
      for fn in s.accessor : "${name}/${fn}" => { secret = name, function = fn }
    }
  ]...)

  # Environment variables per function: the version name of each secret it may read.
  secret_env = {
    for fn in local.function_names : fn => {
      for name, s in local.secrets :
      s.env => "${google_secret_manager_secret.secret[name].id}/versions/latest"
      if contains(s.accessor, fn)
    }
  }
}

resource "google_secret_manager_secret" "secret" {
  for_each = local.secrets

  secret_id = each.key
  labels    = var.labels

  # Replicated to the primary and the replica region only.
  replication {
    user_managed {
      replicas {
        location = var.primary_region
      }
      replicas {
        location = var.replica_region
      }
    }
  }

  depends_on = [google_project_service.api["secretmanager.googleapis.com"]]
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.secret_bindings

  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}
