/**
 * Second-factor attempt limits (SPEC section 4 item 5, risk R-02): failures
 * are counted per `mfa_token` and per user, in the same serialisable
 * transaction that checks the code, so N parallel guesses can never get past
 * the limits (the lockout's rule, `shared/domain/login/lockout.ts`).
 *
 * - Per `mfa_token`: {@link MFA_TOKEN_MAX_FAILURES} failures exhaust the token;
 *   the client must log in with the password again (and meet its lockout).
 * - Per user: {@link MFA_USER_MAX_FAILURES} failures within
 *   {@link MFA_USER_WINDOW_SECONDS} lock every second-factor attempt of the
 *   user for that long, whichever tokens they come with.
 *
 * A success resets both. A malformed code is refused before counting.
 * Why these numbers: docs/mfa.md ("Attempt limits").
 */

/** Failures one `mfa_token` allows. */
export const MFA_TOKEN_MAX_FAILURES = 5;
/** Failures one user is allowed per window. */
export const MFA_USER_MAX_FAILURES = 10;
/** The user window, and how long a user stays locked once it is full. */
export const MFA_USER_WINDOW_SECONDS = 15 * 60;
/** How long a token's counter is kept (longer than an `mfa_token` lives). */
export const MFA_TOKEN_COUNTER_TTL_SECONDS = 15 * 60;

/** What a counter counts for. */
export type MfaAttemptScope = 'token' | 'user';

/** The key of one counter. */
export interface MfaAttemptKey {
  readonly tenant_id: string;
  readonly scope: MfaAttemptScope;
  /** The `mfa_token`'s hash for `token`, the user id for `user`. */
  readonly subject: string;
}

/** A failure counter. */
export interface MfaAttemptCounter extends MfaAttemptKey {
  /** The user the failures were for (erasure finds every counter of a user by it). */
  readonly user_id: string;
  readonly failures: number;
  readonly window_started_at: string;
  /** User scope: set when the window filled up; refused until then. Always null for tokens. */
  readonly locked_until: string | null;
  /** When the counter no longer matters (for a Firestore TTL policy). */
  readonly expires_at: string;
}

/** The two counters an attempt is checked against. */
export interface AttemptKeys {
  readonly token: MfaAttemptKey;
  readonly user: MfaAttemptKey;
}

/** The counter keys of an attempt with `mfaTokenHash` by `userId`. */
export function attemptKeys(tenantId: string, userId: string, mfaTokenHash: string): AttemptKeys {
  return {
    token: { tenant_id: tenantId, scope: 'token', subject: mfaTokenHash },
    user: { tenant_id: tenantId, scope: 'user', subject: userId },
  };
}

/** Whether an attempt may go on. */
export type AttemptGate =
  | { readonly kind: 'open' }
  /** The user's window is full: refused for `retryAfterSeconds`, whatever the token. */
  | { readonly kind: 'user_locked'; readonly retryAfterSeconds: number }
  /** This `mfa_token` has had its failures: the login must start again. */
  | { readonly kind: 'token_exhausted' };

const WINDOW_MS = MFA_USER_WINDOW_SECONDS * 1000;

/** True when a user counter still counts at `nowMs`: locked and not yet unlocked, or inside its window. */
function live(c: MfaAttemptCounter, nowMs: number): boolean {
  if (c.locked_until !== null) return Date.parse(c.locked_until) > nowMs;
  return Date.parse(c.window_started_at) + WINDOW_MS > nowMs;
}

/** Decides whether an attempt may be checked, from the two stored counters (pure). */
export function checkAttempts(token: MfaAttemptCounter | undefined, user: MfaAttemptCounter | undefined, nowMs: number): AttemptGate {
  if (user !== undefined && live(user, nowMs)) {
    if (user.locked_until !== null) {
      return { kind: 'user_locked', retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(user.locked_until) - nowMs) / 1000)) };
    }
    if (user.failures >= MFA_USER_MAX_FAILURES) {
      // Full without a lock: only if the limit was lowered meanwhile. Locked until the window ends.
      return { kind: 'user_locked', retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(user.window_started_at) + WINDOW_MS - nowMs) / 1000)) };
    }
  }
  if (token !== undefined && token.failures >= MFA_TOKEN_MAX_FAILURES) return { kind: 'token_exhausted' };
  return { kind: 'open' };
}

/** The counters after one more failure (pure). The failure that fills the user window locks the user. */
export function countFailure(
  keys: AttemptKeys,
  userId: string,
  stored: { readonly token: MfaAttemptCounter | undefined; readonly user: MfaAttemptCounter | undefined },
  nowMs: number,
): { readonly token: MfaAttemptCounter; readonly user: MfaAttemptCounter } {
  const now = new Date(nowMs).toISOString();
  const tokenFailures = (stored.token?.failures ?? 0) + 1;
  const token: MfaAttemptCounter = {
    ...keys.token,
    user_id: userId,
    failures: tokenFailures,
    window_started_at: stored.token?.window_started_at ?? now,
    locked_until: null,
    expires_at: new Date(nowMs + MFA_TOKEN_COUNTER_TTL_SECONDS * 1000).toISOString(),
  };
  const current = stored.user !== undefined && live(stored.user, nowMs) ? stored.user : undefined;
  const userFailures = (current?.failures ?? 0) + 1;
  const windowStart = current?.window_started_at ?? now;
  const lockedUntil = userFailures >= MFA_USER_MAX_FAILURES ? new Date(nowMs + WINDOW_MS).toISOString() : null;
  const user: MfaAttemptCounter = {
    ...keys.user,
    user_id: userId,
    failures: userFailures,
    window_started_at: windowStart,
    locked_until: lockedUntil,
    expires_at: lockedUntil ?? new Date(Date.parse(windowStart) + WINDOW_MS).toISOString(),
  };
  return { token, user };
}
