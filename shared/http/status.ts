import type { IamErrorCode } from '../domain/errors.ts';

/**
 * The one error-code-to-status map. A `Record` over the closed union, so a new
 * code does not compile until it has a status here.
 */
export const STATUS_BY_CODE: Readonly<Record<IamErrorCode, number>> = {
  invalid_request: 400,
  invalid_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  // SPEC section 3 answers login failures with 401 (RFC 6749 §5.2 allows 401 for client-facing grant errors).
  invalid_grant: 401,
  invalid_client: 401,
  unsupported_grant_type: 400,
  invalid_token: 401,
  mfa_required: 401,
  mfa_enrollment_required: 403,
  account_locked: 429,
  sso_required: 403,
  access_denied: 403,
  weak_password: 400,
  breached_password: 400,
  rate_limited: 429,
  tenant_not_found: 404,
  region_conflict: 409,
  conflict: 409,
  invalid_event: 400,
  unsupported_event_type: 400,
  // A residency violation is a routing bug inside iam-service, never a client mistake.
  residency_violation: 500,
  temporarily_unavailable: 503,
  server_error: 500,
};

/** The status for a code. */
export function statusOf(code: IamErrorCode): number {
  return STATUS_BY_CODE[code];
}
