# Identities (SPEC 4.10, seed R-12): ONE service account per function, each
# granted only what that function does. Two more accounts only invoke:
# Pub/Sub's pushes and Cloud Scheduler's calls carry their OIDC tokens.
#
# Who may do what (the bindings live beside the resource they grant on):
#
# | function          | Firestore | JWT key (KMS)  | publish        | secrets                  |
# |-------------------|-----------|----------------|----------------|--------------------------|
# | token             | user      | signerVerifier | -              | pepper                   |
# | refresh           | user      | signerVerifier | -              | -                        |
# | mfa-verify        | user      | signerVerifier | -              | TOTP key                 |
# | device-cert-issue | user      | -              | -              | - (tenant CA keys later) |
# | erasure-handler   | user      | -              | -              | -                        |
# | accounts          | user      | -              | -              | pepper, HIBP, bootstrap  |
# | tenant-events     | user      | -              | -              | -                        |
# | jobs              | user      | -              | iam-events     | pepper (rehash job)      |
#
# Every domain event leaves through the outbox, so only the relay (jobs)
# publishes. No account has a key file: functions use their attached identity.

resource "google_service_account" "function" {
  for_each = local.function_names

  account_id   = "iam-fn-${each.key}"
  display_name = "iam-service ${each.key} function"
  description  = "Runtime identity of the ${each.key} function; see infra/service_accounts.tf for its grants."
}

# Firestore: read and write documents (not administer databases or indexes).
# Every function works on identity state; the residency guard, not IAM, keeps a
# tenant's writes in its region's database.
resource "google_project_iam_member" "firestore_user" {
  for_each = local.function_names

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Pub/Sub pushes to tenant-events and erasure-handler authenticate as this.
resource "google_service_account" "push_invoker" {
  account_id   = "iam-pubsub-push"
  display_name = "iam-service Pub/Sub push invoker"
  description  = "Identity of the OIDC tokens on Pub/Sub push deliveries; may only invoke the event functions."
}

# Cloud Scheduler calls the jobs function as this.
resource "google_service_account" "scheduler_invoker" {
  account_id   = "iam-scheduler"
  display_name = "iam-service Cloud Scheduler invoker"
  description  = "Identity of the OIDC tokens on Cloud Scheduler jobs; may only invoke the jobs function."
}

# Pub/Sub's service agent mints the push OIDC tokens for push_invoker.
resource "google_service_account_iam_member" "pubsub_mints_push_tokens" {
  service_account_id = google_service_account.push_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}
