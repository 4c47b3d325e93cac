/**
 * The levels an adaptive-MFA decision can take (SPEC section 4 item 5,
 * risks ), ordered from the lowest bar to the highest:
 *
 * `allow` < `step_up` (a second factor) < `hardware_step_up` (WebAuthn)
 * < `deny_pending_review` (refused until a human has looked).
 *
 * Decisions only ever combine with {@link maxLevel}: a signal can raise the
 * bar, nothing can lower what another signal asked for.
 */

/** The levels, lowest first. */
export const RISK_LEVELS = ['allow', 'step_up', 'hardware_step_up', 'deny_pending_review'] as const;

/** One decision level. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The rank of a level: 0 for `allow`, 3 for `deny_pending_review`. */
export function levelRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** The higher of the levels (`allow` for none). */
export function maxLevel(...levels: readonly RiskLevel[]): RiskLevel {
  let best: RiskLevel = 'allow';
  for (const l of levels) if (levelRank(l) > levelRank(best)) best = l;
  return best;
}

/** True when `level` is at least `floor`. */
export function atLeast(level: RiskLevel, floor: RiskLevel): boolean {
  return levelRank(level) >= levelRank(floor);
}
