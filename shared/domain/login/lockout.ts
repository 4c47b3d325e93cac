/**
 * Lockout counters (SPEC section 4 item 1, risk R-09).
 *
 * Failures are counted per (tenant, normalised email, client IP), and only
 * hashes of the email and the IP are stored. The key is the email, not the
 * user id, so an unknown address locks exactly like a known one and the
 * lockout answer cannot tell whether an account exists. Counting per IP means
 * an attacker elsewhere cannot lock the real user out.
 *
 * An attempt is RESERVED (counted) in a transaction before the password is
 * verified, so N parallel attempts never verify more than `threshold`
 * passwords (ZITADEL GHSA-7h8m-vrxx-vr4m was a check-then-increment race).
 */
import { sha256base64url } from '../tokens/opaque-token.ts';

/** The IP of the key when the client's is unknown (login and password change alike). */
export const UNKNOWN_IP = 'unknown';

/** The key of one counter: a tenant and two hashes. */
export interface LockoutKey {
  readonly tenant_id: string;
  /** base64url SHA-256 of the normalised email (see `lockoutKey`). */
  readonly email_hash: string;
  /** base64url SHA-256 of the client IP. */
  readonly ip_hash: string;
}

/** A failure counter. */
export interface LockoutCounter extends LockoutKey {
  /** Attempts counted in the current window, including those still being verified. */
  readonly failures: number;
  /** The first attempt of the window; the window lasts `unlock_after_seconds`. */
  readonly window_started_at: string;
  readonly updated_at: string;
  /** Set when `failures` reaches the threshold: refused until then, auto-unlocked after. */
  readonly locked_until: string | null;
}

/** The lockout section of the tenant policy. */
export interface LockoutPolicy {
  readonly threshold: number;
  readonly unlock_after_seconds: number;
}

/** What a reservation decided. */
export type Reservation =
  | { readonly kind: 'reserved'; readonly counter: LockoutCounter }
  | { readonly kind: 'locked'; readonly retryAfterSeconds: number };

/**
 * Decides one attempt against the stored counter (pure). A counter whose lock
 * or window has lapsed counts as empty (auto-unlock). Otherwise the attempt is
 * counted; the attempt that reaches the threshold is still verified and sets
 * `locked_until`, every later one is refused until then.
 */
export function reserveAttempt(key: LockoutKey, stored: LockoutCounter | undefined, policy: LockoutPolicy, nowMs: number): Reservation {
  const now = new Date(nowMs).toISOString();
  const windowMs = policy.unlock_after_seconds * 1000;
  const live = stored !== undefined && !lapsed(stored, nowMs, windowMs) ? stored : undefined;
  if (live?.locked_until !== undefined && live.locked_until !== null) {
    return { kind: 'locked', retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(live.locked_until) - nowMs) / 1000)) };
  }
  if (live !== undefined && live.failures >= policy.threshold) {
    // A counter at the threshold is always locked; this guards against a policy lowered meanwhile.
    const until = Date.parse(live.updated_at) + windowMs;
    return { kind: 'locked', retryAfterSeconds: Math.max(1, Math.ceil((until - nowMs) / 1000)) };
  }
  const failures = (live?.failures ?? 0) + 1;
  return {
    kind: 'reserved',
    counter: {
      ...key,
      failures,
      window_started_at: live?.window_started_at ?? now,
      updated_at: now,
      locked_until: failures >= policy.threshold ? new Date(nowMs + windowMs).toISOString() : null,
    },
  };
}

/** True when the counter no longer counts: its lock has ended, or its window has passed without a lock. */
function lapsed(c: LockoutCounter, nowMs: number, windowMs: number): boolean {
  if (c.locked_until !== null) return Date.parse(c.locked_until) <= nowMs;
  return Date.parse(c.window_started_at) + windowMs <= nowMs;
}

/**
 * The counter key of one (tenant, normalised email, client IP). Only hashes
 * leave this function; the email must already be normalised (`normalizeEmail`).
 */
export async function lockoutKey(tenantId: string, email: string, ip: string): Promise<LockoutKey> {
  const [emailHash, ipHash] = await Promise.all([lockoutEmailHash(email), sha256base64url(`lockout-ip\u0000${ip}`)]);
  return { tenant_id: tenantId, email_hash: emailHash, ip_hash: ipHash };
}

/** The hash that keys every counter of one normalised email (what an admin unlock clears). */
export function lockoutEmailHash(email: string): Promise<string> {
  return sha256base64url(`lockout-email\u0000${email}`);
}
