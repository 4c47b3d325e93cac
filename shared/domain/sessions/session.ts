/**
 * Session families and their refresh tokens (SPEC section 4 item 3, risk R-02).
 *
 * A login starts a family; every refresh token of that login belongs to it.
 * Refresh tokens are opaque 256-bit values stored only as their SHA-256 hash
 * (`shared/domain/tokens/opaque-token.ts`). Rotation (the refresh issue)
 * marks a token `rotated` and adds its successor with `parent` set; reuse of a
 * rotated token revokes the whole family.
 */
import type { SealedSecret } from '../mfa/factor.ts';

/** One session family: what a login started. */
export interface SessionFamily {
  /** The family id: the `sid` claim of every access token of the family. */
  readonly session_id: string;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly client_id: string;
  readonly created_at: string;
  /** The last login or refresh of the family. */
  readonly last_used_at: string;
  /** `last_used_at + policy.session.idle_seconds`; a refresh after it is refused. */
  readonly idle_expires_at: string;
  /** `created_at + policy.session.absolute_seconds`; never extended. */
  readonly absolute_expires_at: string;
  /** A short human label for the session list ("iPhone", "Firefox on Linux", a device id). */
  readonly device: string;
  /** The device id the client sent, if any. */
  readonly device_id: string | null;
  /** The client IP at login, masked to its /24 or /48: never the full address. */
  readonly ip: string;
  /** How the user authenticated (RFC 8176 values), copied into every access token. */
  readonly amr: readonly string[];
  /** The assurance level of the login, copied into every access token. */
  readonly acr: string;
  readonly revoked_at: string | null;
  /** Why the family was revoked (`logout`, `reuse_detected`, `admin`, ...), null while active. */
  readonly revoked_reason: string | null;
}

/** The states of a refresh token. */
export type RefreshTokenStatus = 'active' | 'rotated' | 'revoked';

/** A refresh token as stored: its hash, never its value. */
export interface RefreshTokenRecord {
  /** base64url SHA-256 of the token string: the document id. */
  readonly token_hash: string;
  readonly tenant_id: string;
  readonly session_id: string;
  readonly user_id: string;
  readonly client_id: string;
  readonly status: RefreshTokenStatus;
  /** The hash of the token this one replaced; null for the first token of a family. */
  readonly parent: string | null;
  readonly created_at: string;
  /** When it was exchanged for a successor; null while active. */
  readonly used_at: string | null;
  /** The hash of the token that replaced this one (set by rotation; absent before it). */
  readonly successor?: string | null;
  /**
   * The successor's VALUE, sealed (AES-256-GCM envelope, AAD = this token's
   * hash and the family id), so a retry inside the grace window gets the same
   * successor back (`rotate-refresh-token.ts`). Null when there is no window.
   */
  readonly successor_sealed?: SealedSecret | null;
  /** Until when (ISO) {@link successor_sealed} may be opened; ignored after it. */
  readonly grace_until?: string | null;
}
