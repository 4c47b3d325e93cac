/**
 * The per-user quota of magic links (mail bombing): at most
 * {@link MAGIC_LINK_MAX_PER_WINDOW} links are stored and mailed to one user of
 * one tenant in any {@link MAGIC_LINK_WINDOW_SECONDS}. The quota is a sliding
 * log of when each link was stored, one small record per (tenant, user)
 * holding ids and instants only (no email), read and written in the same
 * serialisable transaction that stores the link, so parallel requests can
 * never mail more than the quota (the lockout's rule, `lockout.ts`).
 *
 * A request over the quota still answers 202 (`request-magic-link.ts`): it
 * stores and mails nothing, and only the log says `throttled`.
 */

/** Links one user may be sent per window. */
export const MAGIC_LINK_MAX_PER_WINDOW = 3;
/** The sliding window of the quota (as long as a link lives). */
export const MAGIC_LINK_WINDOW_SECONDS = 15 * 60;

const WINDOW_MS = MAGIC_LINK_WINDOW_SECONDS * 1000;

/** The quota record of one user: collection `magic_link_throttles`. */
export interface MagicLinkThrottle {
  readonly tenant_id: string;
  readonly user_id: string;
  /** When each link still inside the window was stored, oldest first (at most the quota). */
  readonly sent_at: readonly string[];
  /** When the record no longer matters: the newest link plus the window (for a Firestore TTL policy). */
  readonly expires_at: string;
}

/** Whether one more link may be stored and mailed. */
export type MagicLinkAdmission =
  | { readonly kind: 'admitted'; readonly throttle: MagicLinkThrottle }
  | { readonly kind: 'throttled' };

/**
 * Decides on one more link for `userId` at `nowMs` from the stored record
 * (pure). Admitted: the record to write, with this link logged. A link counts
 * for the window from when it was stored, so the quota frees up one link at a
 * time as the oldest ages out.
 */
export function admitMagicLink(tenantId: string, userId: string, stored: MagicLinkThrottle | undefined, nowMs: number): MagicLinkAdmission {
  const live = (stored?.sent_at ?? []).filter((at) => Date.parse(at) + WINDOW_MS > nowMs);
  if (live.length >= MAGIC_LINK_MAX_PER_WINDOW) return { kind: 'throttled' };
  return {
    kind: 'admitted',
    throttle: {
      tenant_id: tenantId,
      user_id: userId,
      sent_at: [...live, new Date(nowMs).toISOString()],
      expires_at: new Date(nowMs + WINDOW_MS).toISOString(),
    },
  };
}
