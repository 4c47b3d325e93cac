# Secret Manager (SPEC section 1): the secrets exist here, their VALUES never
# do. An operator adds versions out of band:
#   openssl rand 32 | gcloud secrets versions add iam-mfa-kek --data-file=-
# Functions read them with @google-cloud/secret-manager
# (shared/adapters/secret-manager/), by secret id, version `latest`.
#
# Only the secrets the code reads are here. Their ids are the code's defaults
# (shared/config.ts, shared/adapters/crypto/*-secrets.ts); the one whose id is
# configurable gets it through its environment variable.

locals {
  secrets = {
    # Bootstrap platform-admin credential, accepted by the accounts admin API
    # (`Authorization: IamBootstrap <secret>`) and used by iamctl (issue 3).
    # shared/config.ts reads its NAME from IAM_BOOTSTRAP_SECRET_NAME.
    "iam-bootstrap-admin" = {
      env      = "IAM_BOOTSTRAP_SECRET_NAME"
      accessor = ["accounts"]
    }
    # AES-256-GCM key-encryption key of the sealed TOTP secrets, 32 bytes
    # (shared/adapters/crypto/mfa-secrets.ts, docs/mfa.md).
    "iam-mfa-kek" = {
      env      = null
      accessor = ["mfa-verify"]
    }
    # Pepper of the recovery-code hashes, 32 bytes (mfa-secrets.ts).
    "iam-mfa-recovery-pepper" = {
      env      = null
      accessor = ["mfa-verify"]
    }
    # Key-encryption key of the refresh grace window's sealed successors,
    # 32 bytes (shared/adapters/crypto/refresh-grace-secrets.ts).
    "iam-refresh-grace-kek" = {
      env      = null
      accessor = ["refresh"]
    }
  }

  secret_bindings = merge([
    for name, s in local.secrets : {
      for fn in s.accessor : "${name}/${fn}" => { secret = name, function = fn }
    }
  ]...)

  # Environment variables per function: the secret id, for the secrets whose
  # id the code takes from its environment.
  secret_env = {
    for fn in local.function_names : fn => {
      for name, s in local.secrets :
      s.env => name
      if s.env != null && contains(s.accessor, fn)
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
