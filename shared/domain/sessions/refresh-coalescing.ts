/**
 * Single flight for refreshes: identical refresh requests (same token, same
 * client) that are in flight at once on one instance share ONE rotation
 * transaction and its answer. Several tabs or a retry storm would otherwise
 * run N read-write transactions on the same documents at once; only one can
 * commit, and the others abort and back off (seconds on the emulator) before
 * they reach the grace window. Requests on other instances, or arriving after
 * the shared one settled, still go through their own transaction and get the
 * same successor through the grace window (docs/sessions.md).
 *
 * The first request's client context (IP, request id) is the one the risk
 * engine and the audit see. Nothing is kept after the request settles.
 */
import type { Result } from '../result.ts';
import type { RefreshOutcome, RefreshRefusal, RotateRefreshTokenInput } from './rotate-refresh-token.ts';

/** A refresh: `(input) => rotateRefreshToken(deps, input)`. */
export type Refresh = (input: RotateRefreshTokenInput) => Promise<Result<RefreshOutcome, RefreshRefusal>>;

/** Wraps `refresh` so concurrent identical requests share one call. */
export function coalesceRefreshes(refresh: Refresh): Refresh {
  const inFlight = new Map<string, ReturnType<Refresh>>();
  return (input) => {
    const key = `${input.clientId}\u0000${input.refreshToken}`;
    const pending = inFlight.get(key);
    if (pending !== undefined) return pending;
    const started = refresh(input).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
