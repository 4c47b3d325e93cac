/**
 * Coalescing of the refresh step-up hook: concurrent refreshes of one family
 * from one instance (several tabs, a retry storm) ask the risk engine ONCE.
 * Without it, N parallel retries of one token would count as N attempts
 * towards the velocity rule (docs/adaptive-mfa.md) and the later ones would
 * be asked to step up, although only one rotation happens (the others get
 * the same successor through the grace window).
 */
import type { RefreshRiskCheck, RefreshRiskInput } from './rotate-refresh-token.ts';

function keyOf(i: RefreshRiskInput): string {
  return JSON.stringify([i.tenantId, i.userId, i.deviceId, i.ip ?? null, i.event]);
}

/** Wraps a risk check so that identical checks in flight share one answer (nothing is kept after it settles). */
export function coalesceRiskChecks(check: RefreshRiskCheck): RefreshRiskCheck {
  const inFlight = new Map<string, ReturnType<RefreshRiskCheck>>();
  return (input) => {
    const key = keyOf(input);
    const pending = inFlight.get(key);
    if (pending !== undefined) return pending;
    const started = check(input).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
