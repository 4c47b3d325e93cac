output "edge_ip" {
  description = "The load balancer's address: point public_hostname's A record here."
  value       = google_compute_global_address.edge.address
}

output "issuer" {
  description = "IAM_ISSUER of every function, and `iss` of every token."
  value       = local.issuer
}

output "function_uris" {
  description = "Each function's Cloud Run URL (public ones admit only the load balancer)."
  value       = { for name, fn in google_cloudfunctions2_function.function : name => fn.service_config[0].uri }
}

output "function_service_accounts" {
  description = "The runtime identity of each function."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "jwt_keys" {
  description = "The JWT signing keys: primary and replica (for the circuit breaker's failover)."
  value = {
    primary = google_kms_crypto_key.jwt.id
    replica = google_kms_crypto_key.jwt_replica.id
  }
}

output "firestore_databases" {
  description = "Database id per residency region (IAM_FIRESTORE_DATABASES) and the platform database."
  value = {
    regional = { for region, db in google_firestore_database.regional : region => db.name }
    platform = google_firestore_database.platform.name
  }
}
