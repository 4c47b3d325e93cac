/**
 * The closed set of error codes iam-service can answer with.
 *
 * Every code is mapped to exactly one HTTP status in `shared/http/status.ts`;
 * adding a code here does not compile until it is mapped there.
 * Codes are snake_case, in the style of RFC 6749 §5.2.
 */
export type IamErrorCode =
  // request shape
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'not_found'
  | 'method_not_allowed'
  // OAuth / login outcomes
  | 'invalid_grant'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_token'
  | 'mfa_required'
  | 'mfa_enrollment_required'
  | 'account_locked'
  | 'sso_required'
  | 'access_denied'
  | 'weak_password'
  | 'breached_password'
  | 'rate_limited'
  // tenants, events and state
  | 'tenant_not_found'
  | 'region_conflict'
  | 'conflict'
  | 'invalid_event'
  | 'unsupported_event_type'
  | 'residency_violation'
  // outages and bugs
  | 'temporarily_unavailable'
  | 'server_error';

/** Extra fields a client may see next to `error` (never secrets, never PII). */
export type IamErrorFields = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/** Options for {@link IamError}. */
export interface IamErrorOptions {
  /** The underlying error, kept for logs, never sent to the client. */
  readonly cause?: unknown;
  /** Fields the client may see, such as `retry_after` or `mfa_token`. */
  readonly fields?: IamErrorFields;
  /** Seconds for a `Retry-After` header. */
  readonly retryAfter?: number;
}

/**
 * The one error type of iam-service. The status is never chosen at the throw
 * site: it comes from the code, through the central map.
 */
export class IamError extends Error {
  /** The closed error code. */
  readonly code: IamErrorCode;
  /** Client-visible extra fields. */
  readonly fields: IamErrorFields;
  /** Seconds for a `Retry-After` header, if any. */
  readonly retryAfter: number | undefined;

  constructor(code: IamErrorCode, description: string, options: IamErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IamError';
    this.code = code;
    this.fields = options.fields ?? {};
    this.retryAfter = options.retryAfter;
  }
}

/** True when `e` is an {@link IamError}, optionally of the given code. */
export function isIamError(e: unknown, code?: IamErrorCode): e is IamError {
  return e instanceof IamError && (code === undefined || e.code === code);
}
