# Firestore: one named database per residency region (SPEC 4.7, seed R-13) and
# the platform (default) database, which holds only the tenant directory and
# platform-wide state. A runtime guard (shared/adapters/store/residency.ts)
# throws residency_violation on any write to another region's database.
#
# Every database: Native mode, pessimistic concurrency (serialisable
# transactions: lockout counting and refresh rotation rely on them), point-in-
# time recovery, and delete protection.

resource "google_firestore_database" "platform" {
  project                           = var.project_id
  name                              = local.platform_database
  location_id                       = var.primary_region
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.api["firestore.googleapis.com"]]
}

resource "google_firestore_database" "regional" {
  for_each = local.regional_databases

  project                           = var.project_id
  name                              = each.value.name
  location_id                       = each.value.location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.api["firestore.googleapis.com"]]
}

locals {
  # ../firestore.indexes.json is the one list of composite indexes (the
  # Firebase CLI format); every database gets all of them.
  firestore_index_specs = jsondecode(file("${path.module}/../firestore.indexes.json")).indexes

  firestore_database_names = concat(
    [google_firestore_database.platform.name],
    [for db in google_firestore_database.regional : db.name],
  )

  firestore_indexes = merge([
    for db in local.firestore_database_names : {
      for spec in local.firestore_index_specs :
      "${db}/${spec.collectionGroup}/${join(",", [for f in spec.fields : "${f.fieldPath}:${f.order}"])}" => {
        database = db
        spec     = spec
      }
    }
  ]...)
}

resource "google_firestore_index" "composite" {
  for_each = local.firestore_indexes

  project     = var.project_id
  database    = each.value.database
  collection  = each.value.spec.collectionGroup
  query_scope = each.value.spec.queryScope

  dynamic "fields" {
    for_each = each.value.spec.fields
    content {
      field_path = fields.value.fieldPath
      order      = fields.value.order
    }
  }
}

# ../firestore.rules denies ALL client access: only the functions' service
# accounts (IAM, which bypasses the rules) touch Firestore. Released to every
# database so no client SDK can read or write identity data.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }

  depends_on = [google_project_service.api["firebaserules.googleapis.com"]]
}

resource "google_firebaserules_release" "firestore" {
  for_each = toset(local.firestore_database_names)

  project      = var.project_id
  name         = each.key == "(default)" ? "cloud.firestore" : "cloud.firestore/${each.key}"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
