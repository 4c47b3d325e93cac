# Cloud KMS (SPEC 4.2, seeds R-01, R-06): the JWT signing key is an
# EC_SIGN_P256_SHA256 key in an HSM; the private half never leaves KMS. The
# TokenSigner's KMS adapter signs the digest with asymmetricSign and converts
# the DER signature to JWS's raw r||s.
#
# A replica key ring and key live in another region: when KMS in the primary
# region fails, the circuit breaker signs with the replica key (its public key
# is in the JWKS too, so tokens from either verify).
#
# Asymmetric keys do not rotate by themselves: `iamctl keys rotate` creates the
# next version and pre-publishes it; `--emergency` retires the current kid.
# Per-tenant device CA keys (SPEC 4.6) are added with the device-cert issue.

resource "google_kms_key_ring" "primary" {
  name     = "iam"
  location = var.primary_region

  depends_on = [google_project_service.api["cloudkms.googleapis.com"]]
}

resource "google_kms_crypto_key" "jwt" {
  name     = "jwt-signing"
  key_ring = google_kms_key_ring.primary.id
  purpose  = "ASYMMETRIC_SIGN"
  labels   = var.labels

  version_template {
    algorithm        = "EC_SIGN_P256_SHA256"
    protection_level = "HSM"
  }

  # A destroyed version cannot come back: keep it restorable for 30 days.
  destroy_scheduled_duration = "2592000s"

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_key_ring" "replica" {
  name     = "iam"
  location = var.replica_region

  depends_on = [google_project_service.api["cloudkms.googleapis.com"]]
}

resource "google_kms_crypto_key" "jwt_replica" {
  name     = "jwt-signing"
  key_ring = google_kms_key_ring.replica.id
  purpose  = "ASYMMETRIC_SIGN"
  labels   = var.labels

  version_template {
    algorithm        = "EC_SIGN_P256_SHA256"
    protection_level = "HSM"
  }

  destroy_scheduled_duration = "2592000s"

  lifecycle {
    prevent_destroy = true
  }
}

locals {
  # The functions that issue access tokens: login (token), rotation (refresh)
  # and the MFA step that finishes a login (mfa-verify). No other identity may
  # sign with the JWT key.
  token_signers = ["token", "refresh", "mfa-verify"]

  jwt_keys = {
    primary = google_kms_crypto_key.jwt.id
    replica = google_kms_crypto_key.jwt_replica.id
  }

  jwt_key_bindings = {
    for pair in setproduct(keys(local.jwt_keys), local.token_signers) :
    "${pair[0]}/${pair[1]}" => { key_id = local.jwt_keys[pair[0]], function = pair[1] }
  }

  # KMS key version names for shared/config.ts (IAM_KMS_KEY_CURRENT, ...).
  jwt_key_version = {
    for which, version in var.jwt_key_versions :
    which => version == null ? null : "${google_kms_crypto_key.jwt.id}/cryptoKeyVersions/${version}"
  }

  # The replica-region key versions (IAM_KMS_REPLICA_KEY_CURRENT, ...): another
  # KMS location than the primary's, as loadConfig requires.
  jwt_replica_key_version = {
    for which, version in var.jwt_replica_key_versions :
    which => version == null ? null : "${google_kms_crypto_key.jwt_replica.id}/cryptoKeyVersions/${version}"
  }
}

# signerVerifier: sign, verify and read public keys (for the JWKS).
resource "google_kms_crypto_key_iam_member" "jwt_signer" {
  for_each = local.jwt_key_bindings

  crypto_key_id = each.value.key_id
  role          = "roles/cloudkms.signerVerifier"
  member        = "serviceAccount:${google_service_account.function[each.value.function].email}"
}
