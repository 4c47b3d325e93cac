/**
 * The classifier's cost budget and circuit breaker (SPEC section 4 item 5).
 *
 * - Budget: at most `perMinute` classifier calls per tenant per clock minute
 *   in this instance. Over it, the tenant's decisions are made by the rules
 *   alone until the minute ends (`over_budget`).
 * - Breaker: `failuresToOpen` timeouts or errors in a row open the circuit
 *   for `openMs` (`circuit_open`), for every tenant: it is one classifier.
 *   Then one trial call is let through (half-open); its success closes the
 *   circuit, its failure opens it again.
 *
 * State is per instance (memory). With K instances a tenant can spend up to
 * K × `perMinute`: size `perMinute` as the tenant's budget over the instance
 * ceiling. Pure: the time comes in as an argument.
 */

/** Thresholds of the budget and the breaker. */
export interface ClassifierBreakerConfig {
  /** Classifier calls per tenant per minute (0: never call). */
  readonly perMinute: number;
  /** Consecutive timeouts or errors that open the circuit. */
  readonly failuresToOpen: number;
  /** How long the circuit stays open. */
  readonly openMs: number;
}

/** The default: 60 calls a minute per tenant, open for 30 s after 3 failures in a row. */
export const DEFAULT_BREAKER_CONFIG: ClassifierBreakerConfig = { perMinute: 60, failuresToOpen: 3, openMs: 30_000 };

/** Whether a classifier call may be made now. */
export type Admission = 'ok' | 'over_budget' | 'circuit_open';

/** The budget and breaker of one instance. */
export interface ClassifierBreaker {
  /** Asks to make one call for `tenantId`; `ok` counts it against the budget. */
  admit(tenantId: string, nowMs: number): Admission;
  /** Reports how an admitted call went. Call it once per `ok` admission. */
  record(outcome: 'ok' | 'timeout' | 'error', nowMs: number): void;
}

/** Budget buckets kept before old minutes are swept out. */
const SWEEP_AT = 10_000;

/** A fresh budget and breaker. */
export function createClassifierBreaker(config: ClassifierBreakerConfig = DEFAULT_BREAKER_CONFIG): ClassifierBreaker {
  const buckets = new Map<string, { minute: number; count: number }>();
  let failures = 0;
  let openUntil = 0;
  let trialInFlight = false;
  return {
    admit(tenantId, nowMs) {
      if (nowMs < openUntil) return 'circuit_open';
      const halfOpen = failures >= config.failuresToOpen;
      if (halfOpen && trialInFlight) return 'circuit_open';
      const minute = Math.floor(nowMs / 60_000);
      if (buckets.size >= SWEEP_AT) for (const [k, b] of buckets) if (b.minute !== minute) buckets.delete(k);
      const bucket = buckets.get(tenantId);
      const count = bucket?.minute === minute ? bucket.count : 0;
      if (count >= config.perMinute) return 'over_budget';
      buckets.set(tenantId, { minute, count: count + 1 });
      if (halfOpen) trialInFlight = true;
      return 'ok';
    },
    record(outcome, nowMs) {
      trialInFlight = false;
      if (outcome === 'ok') {
        failures = 0;
        openUntil = 0;
        return;
      }
      failures += 1;
      if (failures >= config.failuresToOpen) openUntil = nowMs + config.openMs;
    },
  };
}
