# Cloud Scheduler (SPEC section 3, jobs): each job POSTs to its path on the
# internal jobs function with an OIDC token of the scheduler invoker account.
# The schedules mirror scripts/stack/topology.ts JOBS (via topology.json):
#   outbox-relay        every minute   publish unpublished outbox rows (at least once)
#   reconcile-outbox    daily          audit events vs outbox rows
#   reconcile-erasure   every 15 min   prove erased subjects left no residue
#   rehash-inactive     daily          wrap inactive users' hashes as argon2id(old_hash)
#   device-cert-expiry  hourly         warn about device certificates near expiry
#   shred-grace         every minute   clear refresh successors sealed for a grace window that has lapsed

locals {
  jobs = { for j in local.topology.jobs : j.name => j }

  jobs_uri = google_cloudfunctions2_function.function["jobs"].service_config[0].uri
}

resource "google_cloud_scheduler_job" "job" {
  for_each = local.jobs

  name        = "iam-${each.key}"
  region      = var.primary_region
  description = "iam-service: POST ${each.value.path} on the jobs function"
  schedule    = each.value.cron
  time_zone   = "Etc/UTC"

  # The relay runs every minute: a failed run is simply retried by the next one.
  attempt_deadline = each.key == "outbox-relay" ? "60s" : "540s"

  retry_config {
    retry_count          = each.key == "outbox-relay" ? 0 : 3
    min_backoff_duration = "30s"
    max_backoff_duration = "600s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.jobs_uri}${each.value.path}"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.scheduler_invoker.email
      audience              = local.jobs_uri
    }
  }

  depends_on = [google_project_service.api["cloudscheduler.googleapis.com"]]
}
