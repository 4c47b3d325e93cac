# The global external HTTPS load balancer (placeholder to be completed with the
# device-cert issue): serverless NEGs per public function, the URL map that the
# local edge (scripts/stack/edge.ts) mirrors, and mTLS with a Certificate
# Manager trust config.
#
# mTLS mode is ALLOW_INVALID_OR_MISSING_CLIENT_CERT: login needs no client
# certificate, so the load balancer never refuses the handshake; it forwards
# the verdict in X-Client-Cert-* headers, and the functions that need a device
# certificate (refresh for bound sessions, certificate renewal) decide.
#
# Unmatched paths get a 404 at the load balancer: /jobs/* and the event
# endpoints are never routed publicly (those functions are internal anyway).

locals {
  url_map = { for rule in local.topology.url_map : rule.function => rule.paths }

  # The load balancer's mTLS variables, as scripts/stack/mtls-headers.ts forwards them locally.
  mtls_request_headers = [
    "X-Client-Cert-Present:{client_cert_present}",
    "X-Client-Cert-Chain-Verified:{client_cert_chain_verified}",
    "X-Client-Cert-Error:{client_cert_error}",
    "X-Client-Cert-Hash:{client_cert_sha256_fingerprint}",
    "X-Client-Cert-Serial-Number:{client_cert_serial_number}",
    "X-Client-Cert-SPIFFE:{client_cert_spiffe_id}",
    "X-Client-Cert-URI-SANs:{client_cert_uri_sans}",
    "X-Client-Cert-DNSName-SANs:{client_cert_dnsname_sans}",
    "X-Client-Cert-Valid-Not-Before:{client_cert_valid_not_before}",
    "X-Client-Cert-Valid-Not-After:{client_cert_valid_not_after}",
    "X-Client-Cert-Leaf:{client_cert_leaf}",
    "X-Client-Cert-Chain:{client_cert_chain}",
  ]

  # Client-sent copies of those headers are removed before the load balancer adds its own.
  mtls_header_names = [for h in local.mtls_request_headers : split(":", h)[0]]
}

resource "google_compute_global_address" "edge" {
  name = "iam-edge"

  depends_on = [google_project_service.api["compute.googleapis.com"]]
}

resource "google_compute_region_network_endpoint_group" "function" {
  for_each = local.public_functions

  name                  = "iam-${each.key}"
  region                = var.primary_region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloudfunctions2_function.function[each.key].name
  }
}

resource "google_compute_backend_service" "function" {
  for_each = local.public_functions

  name                  = "iam-${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"

  backend {
    group = google_compute_region_network_endpoint_group.function[each.key].id
  }

  custom_request_headers = local.mtls_request_headers

  log_config {
    enable      = true
    sample_rate = 1
  }

  # Cloud Armor (rate limits, reputation) attaches here: security_policy = ...
}

resource "google_compute_url_map" "edge" {
  name = "iam-edge"

  # Anything not routed below: 404 without reaching a function.
  default_route_action {
    weighted_backend_services {
      backend_service = google_compute_backend_service.function["token"].id
      weight          = 100
    }
    fault_injection_policy {
      abort {
        http_status = 404
        percentage  = 100
      }
    }
  }

  host_rule {
    hosts        = [var.public_hostname]
    path_matcher = "iam"
  }

  path_matcher {
    name = "iam"

    default_route_action {
      weighted_backend_services {
        backend_service = google_compute_backend_service.function["token"].id
        weight          = 100
      }
      fault_injection_policy {
        abort {
          http_status = 404
          percentage  = 100
        }
      }
    }

    # The same rules as scripts/stack/topology.ts URL_MAP: exact paths, and
    # `/*` prefixes; the longest match wins.
    dynamic "path_rule" {
      for_each = local.url_map
      content {
        paths = path_rule.value

        route_action {
          # Drop any client-sent mTLS header; the backend service adds the real ones.
          weighted_backend_services {
            backend_service = google_compute_backend_service.function[path_rule.key].id
            weight          = 100
            header_action {
              request_headers_to_remove = local.mtls_header_names
            }
          }
        }
      }
    }
  }
}

# --- TLS and mTLS -----------------------------------------------------------

resource "google_compute_managed_ssl_certificate" "edge" {
  name = "iam-edge"

  managed {
    domains = [var.public_hostname]
  }
}

# The device trust bundle: the platform root and the per-tenant intermediates
# (old and new while a CA rotation overlaps).
resource "google_certificate_manager_trust_config" "devices" {
  name        = "iam-device-trust"
  location    = "global"
  description = "Device certificate roots and per-tenant intermediates for mTLS"
  labels      = var.labels

  trust_stores {
    dynamic "trust_anchors" {
      for_each = var.device_trust_anchor_pems
      content {
        pem_certificate = trust_anchors.value
      }
    }
    dynamic "intermediate_cas" {
      for_each = var.device_intermediate_pems
      content {
        pem_certificate = intermediate_cas.value
      }
    }
  }

  depends_on = [google_project_service.api["certificatemanager.googleapis.com"]]
}

resource "google_network_security_server_tls_policy" "edge" {
  name        = "iam-edge-mtls"
  location    = "global"
  description = "Ask for a device certificate; forward the verdict, never refuse the handshake"
  labels      = var.labels

  mtls_policy {
    client_validation_mode         = "ALLOW_INVALID_OR_MISSING_CLIENT_CERT"
    client_validation_trust_config = "projects/${data.google_project.this.number}/locations/global/trustConfigs/${google_certificate_manager_trust_config.devices.name}"
  }

  depends_on = [google_project_service.api["networksecurity.googleapis.com"]]
}

resource "google_compute_target_https_proxy" "edge" {
  name              = "iam-edge"
  url_map           = google_compute_url_map.edge.id
  ssl_certificates  = [google_compute_managed_ssl_certificate.edge.id]
  server_tls_policy = google_network_security_server_tls_policy.edge.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "iam-edge-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.edge.id
  port_range            = "443"
  target                = google_compute_target_https_proxy.edge.id
}
