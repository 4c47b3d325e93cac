# Pub/Sub (SPEC 4.8, seed R-17): every topic has a dead-letter topic, 7-day
# retention on both, and push subscriptions with a dead-letter policy, retries
# with backoff, and OIDC-authenticated pushes to the consuming function.
#
# Topics (topology.json):
#   iam-events     out: iam.* CloudEvents from the outbox relay (the jobs function)
#   tenant-events  in:  tenant.created.v1 / tenant.updated.v1 from the platform
#   gdpr-erasure   in:  gdpr.erasure.requested.v1 from the GDPR saga

locals {
  retention = "${local.topology.retention_seconds}s" # "604800s": 7 days

  topics = toset(local.topology.topics)

  push_subscriptions = { for s in local.topology.push_subscriptions : s.name => s }

  # Who may publish to each topic. Only the relay (the jobs function) publishes
  # what iam-service emits; the platform publishes what iam-service consumes.
  # Map keys are known at plan time; the members may not be.
  topic_publisher_bindings = merge(
    {
      "iam-events/relay" = {
        topic  = "iam-events"
        member = "serviceAccount:${google_service_account.function["jobs"].email}"
      }
    },
    { for m in var.tenant_event_publishers : "tenant-events/${m}" => { topic = "tenant-events", member = m } },
    { for m in var.erasure_publishers : "gdpr-erasure/${m}" => { topic = "gdpr-erasure", member = m } },
  )
}

resource "google_pubsub_topic" "topic" {
  for_each = local.topics

  name                       = each.key
  message_retention_duration = local.retention
  labels                     = var.labels

  # Messages stay in the residency regions.
  message_storage_policy {
    allowed_persistence_regions = distinct(concat(values(var.regions), [var.primary_region]))
  }

  depends_on = [google_project_service.api["pubsub.googleapis.com"]]
}

resource "google_pubsub_topic" "dlq" {
  for_each = local.topics

  name                       = "${each.key}${local.topology.dlq_suffix}"
  message_retention_duration = local.retention
  labels                     = var.labels

  message_storage_policy {
    allowed_persistence_regions = distinct(concat(values(var.regions), [var.primary_region]))
  }

  depends_on = [google_project_service.api["pubsub.googleapis.com"]]
}

# Push subscriptions: Pub/Sub POSTs the wrapped message to the function with an
# OIDC token of the push-invoker service account; the function is internal-only
# and only that account may invoke it (functions.tf).
resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  name                       = each.key
  topic                      = google_pubsub_topic.topic[each.value.topic].id
  ack_deadline_seconds       = local.topology.ack_deadline_seconds
  message_retention_duration = local.retention
  retain_acked_messages      = false
  enable_message_ordering    = each.value.ordered
  labels                     = var.labels

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.function[each.value.function].service_config[0].uri}${each.value.path}"

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      audience              = google_cloudfunctions2_function.function[each.value.function].service_config[0].uri
    }
  }

  # After 5 failed deliveries the message goes to the topic's DLQ.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dlq[each.value.topic].id
    max_delivery_attempts = local.topology.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "${local.topology.push_retry.minimum_backoff_seconds}s"
    maximum_backoff = "${local.topology.push_retry.maximum_backoff_seconds}s"
  }

  # Never expire for inactivity.
  expiration_policy {
    ttl = ""
  }
}

# A pull subscription on every DLQ, so dead letters are kept (a topic with no
# subscription drops them) and can be alerted on, inspected and replayed.
resource "google_pubsub_subscription" "dlq_tap" {
  for_each = local.topics

  name                       = "${google_pubsub_topic.dlq[each.key].name}-tap"
  topic                      = google_pubsub_topic.dlq[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = local.retention
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

# --- IAM ----------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.topic_publisher_bindings

  topic  = google_pubsub_topic.topic[each.value.topic].name
  role   = "roles/pubsub.publisher"
  member = each.value.member
}

# Dead-lettering: Pub/Sub's service agent must publish to the DLQ and
# acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dlq_publisher" {
  for_each = local.topics

  topic  = google_pubsub_topic.dlq[each.key].name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dlq_subscriber" {
  for_each = local.push_subscriptions

  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
