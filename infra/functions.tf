# Cloud Run functions (gen2), runtime nodejs24: one per folder in functions/,
# each with its own service account and only the environment it needs.
#
# Source: one archive per function at
#   gs://<function_source_bucket>/<function_source_prefix>/<name>.zip
# holding the folder `npm run build` writes to dist/<name>/: the bundled
# index.mjs with its chunks and a package.json whose one dependency is
# functions-framework (scripts/build/bundle-functions.ts). The entry point
# (functions-framework target) is the function's name.
#
# Ingress: the public functions accept traffic only through the HTTPS load
# balancer (loadbalancer.tf), which applies the URL map and mTLS. The event and
# job functions are internal: only Pub/Sub pushes and Cloud Scheduler reach
# them, each with an OIDC token of its invoker account.

locals {
  # Per-function runtime settings. `public` functions sit behind the load
  # balancer; the others are internal. token and accounts hash passwords
  # (Argon2id, m=19 MiB): CPU-bound, so little concurrency per instance.
  function_settings = {
    "token"             = { public = true, memory = "1Gi", cpu = "1", concurrency = 4, min = 1, max = 50, timeout = 30 }
    "refresh"           = { public = true, memory = "512Mi", cpu = "1", concurrency = 40, min = 1, max = 50, timeout = 30 }
    "mfa-verify"        = { public = true, memory = "512Mi", cpu = "1", concurrency = 20, min = 0, max = 20, timeout = 30 }
    "device-cert-issue" = { public = true, memory = "512Mi", cpu = "1", concurrency = 20, min = 0, max = 20, timeout = 30 }
    "accounts"          = { public = true, memory = "1Gi", cpu = "1", concurrency = 4, min = 0, max = 20, timeout = 60 }
    "erasure-handler"   = { public = false, memory = "512Mi", cpu = "1", concurrency = 10, min = 0, max = 10, timeout = 300 }
    "tenant-events"     = { public = false, memory = "512Mi", cpu = "1", concurrency = 20, min = 0, max = 10, timeout = 60 }
    "jobs"              = { public = false, memory = "512Mi", cpu = "1", concurrency = 1, min = 0, max = 3, timeout = 540 }
  }

  public_functions = toset([for name, s in local.function_settings : name if s.public])

  # shared/config.ts: the variables every function's loadConfig() reads.
  # IAM_KMS_REPLICA_KEY_*: the replica-region key the signing circuit breaker
  # fails over to (docs/keys.md).
  common_env = merge(
    {
      GOOGLE_CLOUD_PROJECT        = var.project_id
      IAM_ISSUER                  = local.issuer
      IAM_PUBLIC_ORIGIN           = local.issuer
      IAM_SIGNER                  = "kms"
      IAM_KMS_KEY_CURRENT         = local.jwt_key_version.current
      IAM_KMS_REPLICA_KEY_CURRENT = local.jwt_replica_key_version.current
      IAM_FIRESTORE_DATABASES     = join(",", [for region, db in local.regional_databases : "${region}=${db.name}"])
      IAM_PLATFORM_DATABASE       = local.platform_database
      IAM_EVENTS_TOPIC            = "iam-events"
      IAM_TRUSTED_PROXIES         = join(",", concat(var.trusted_proxies, ["${google_compute_global_address.edge.address}/32"]))
      # V8 code compiled at build time by the folder's `npm run gcp-build` (scripts/build/bundle-functions.ts).
      NODE_COMPILE_CACHE          = "/workspace/.cache/node-compile"
      LOG_LEVEL                   = var.log_level
    },
    # The next (pre-published) and previous (still verifying) keys, when set.
    {
      for name, version in {
        IAM_KMS_KEY_NEXT             = local.jwt_key_version.next
        IAM_KMS_KEY_PREVIOUS         = local.jwt_key_version.previous
        IAM_KMS_REPLICA_KEY_NEXT     = local.jwt_replica_key_version.next
        IAM_KMS_REPLICA_KEY_PREVIOUS = local.jwt_replica_key_version.previous
      } : name => version if version != null
    },
  )
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.function_names

  name        = "iam-${each.key}"
  location    = var.primary_region
  description = "iam-service ${each.key}"
  labels      = merge(var.labels, { function = each.key })

  build_config {
    runtime     = "nodejs24"
    entry_point = each.key

    source {
      storage_source {
        bucket = var.function_source_bucket
        object = "${var.function_source_prefix}/${each.key}.zip"
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    ingress_settings                 = local.function_settings[each.key].public ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    available_memory                 = local.function_settings[each.key].memory
    available_cpu                    = local.function_settings[each.key].cpu
    max_instance_request_concurrency = local.function_settings[each.key].concurrency
    min_instance_count               = local.function_settings[each.key].min
    max_instance_count               = local.function_settings[each.key].max
    timeout_seconds                  = local.function_settings[each.key].timeout
    environment_variables            = merge(local.common_env, local.secret_env[each.key])
  }

  depends_on = [
    google_project_service.api["cloudfunctions.googleapis.com"],
    google_project_service.api["run.googleapis.com"],
    google_project_service.api["cloudbuild.googleapis.com"],
  ]
}

# Who may invoke each function's Cloud Run service.
#  - public functions: anyone, but ingress admits only the load balancer; the
#    functions authenticate callers themselves (passwords, bearer tokens, mTLS).
#  - event functions: only the Pub/Sub push identity.
#  - jobs: only the Cloud Scheduler identity.
locals {
  invokers = merge(
    { for fn in local.public_functions : fn => "allUsers" },
    {
      "tenant-events"   = "serviceAccount:${google_service_account.push_invoker.email}"
      "erasure-handler" = "serviceAccount:${google_service_account.push_invoker.email}"
      "jobs"            = "serviceAccount:${google_service_account.scheduler_invoker.email}"
    },
  )
}

resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = local.invokers

  location = var.primary_region
  service  = google_cloudfunctions2_function.function[each.key].name # a gen2 function's Cloud Run service has its name
  role     = "roles/run.invoker"
  member   = each.value
}
