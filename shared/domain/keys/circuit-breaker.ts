/**
 * A circuit breaker (risk R-01), here around one KMS signing key, but generic:
 *
 * - **closed**: calls go through. It opens after `failureThreshold`
 *   consecutive failures, or when at least `rateWindow` calls have been seen
 *   and `failureRate` or more of the last `rateWindow` failed (a flapping
 *   dependency that never fails N times in a row).
 * - **open**: calls are refused at once, without waiting for any timeout,
 *   for `coolDownMs`.
 * - **half-open**: after the cool-down, ONE call (the probe) goes through;
 *   the others are still refused. The probe's success closes the breaker, its
 *   failure opens it for another cool-down. A probe that never reports back
 *   frees the slot after another cool-down.
 *
 * Time comes from the Clock port, so tests freeze it. Outcomes of calls
 * admitted before the last state change are ignored: a slow call that
 * started while closed cannot close a breaker that has opened since.
 */
import type { Clock } from '../ports.ts';

/** The states of a breaker. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Tuning of a breaker; every field has a default. */
export interface BreakerSettings {
  /** Consecutive failures that open a closed breaker (default 3). */
  readonly failureThreshold?: number;
  /** How long an open breaker refuses calls before it lets a probe through (default 30 s). */
  readonly coolDownMs?: number;
  /** The failure ratio over the last `rateWindow` calls that opens the breaker (default 0.5). */
  readonly failureRate?: number;
  /** How many recent outcomes the failure rate looks at (default 20). */
  readonly rateWindow?: number;
}

/** Defaults of {@link BreakerSettings}. */
export const BREAKER_DEFAULTS: Required<BreakerSettings> = {
  failureThreshold: 3,
  coolDownMs: 30_000,
  failureRate: 0.5,
  rateWindow: 20,
};

/** Admission of one call: report exactly one outcome. */
export interface BreakerPermit {
  /** True when this call is the half-open probe. */
  readonly probe: boolean;
  succeeded(): void;
  failed(): void;
  /** Gives the slot back without an outcome (the call was not made). */
  release(): void;
}

/** What a breaker shows of itself (for tests, logs and health checks). */
export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** When it last opened (ms since the epoch), or null. */
  readonly openedAt: number | null;
  /** Milliseconds until an open breaker lets a probe through; 0 otherwise. */
  readonly retryAfterMs: number;
  /** Calls admitted, refused, and outcomes reported, since creation. */
  readonly counts: { readonly admitted: number; readonly refused: number; readonly succeeded: number; readonly failed: number; readonly opened: number };
}

/** A state change, for logs. */
export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly at: number;
}

/** A circuit breaker. */
export interface CircuitBreaker {
  /** The state now (an open breaker whose cool-down is over reads `half_open`). */
  state(): BreakerState;
  /** Admits a call, or returns undefined: open, or half-open with the probe already out. */
  acquire(): BreakerPermit | undefined;
  snapshot(): BreakerSnapshot;
}

/** Options for {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions extends BreakerSettings {
  readonly clock: Clock;
  /** Called on every state change. */
  readonly onTransition?: (transition: BreakerTransition) => void;
}

/** Builds a closed circuit breaker. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { clock, onTransition } = options;
  const s = { ...BREAKER_DEFAULTS, ...withoutUndefined(options) };
  if (!(s.failureThreshold >= 1 && s.coolDownMs > 0 && s.failureRate > 0 && s.failureRate <= 1 && s.rateWindow >= 1)) {
    throw new RangeError('circuit breaker: invalid settings');
  }
  let stored: 'closed' | 'open' = 'closed';
  let openedAt: number | null = null;
  let consecutive = 0;
  let recent: boolean[] = []; // true = failure, newest last
  let generation = 0; // bumped on every state change: outcomes of older permits are ignored
  let probeOutSince: number | null = null;
  const counts = { admitted: 0, refused: 0, succeeded: 0, failed: 0, opened: 0 };

  const state = (): BreakerState => {
    if (stored === 'closed') return 'closed';
    return clock.now() - (openedAt ?? 0) >= s.coolDownMs ? 'half_open' : 'open';
  };
  const move = (to: 'closed' | 'open'): void => {
    const from = state();
    generation++;
    probeOutSince = null;
    stored = to;
    if (to === 'open') {
      openedAt = clock.now();
      counts.opened++;
    } else {
      openedAt = null;
      consecutive = 0;
      recent = [];
    }
    onTransition?.({ from, to, at: clock.now() });
  };
  const permit = (probe: boolean): BreakerPermit => {
    const admittedIn = generation;
    let done = false;
    const settle = (outcome: 'success' | 'failure' | 'none'): void => {
      if (done) return;
      done = true;
      if (probe && admittedIn === generation) probeOutSince = null;
      if (outcome === 'none') return;
      counts[outcome === 'success' ? 'succeeded' : 'failed']++;
      if (admittedIn !== generation) return;
      if (probe) return move(outcome === 'success' ? 'closed' : 'open');
      if (stored !== 'closed') return;
      recent.push(outcome === 'failure');
      if (recent.length > s.rateWindow) recent.shift();
      consecutive = outcome === 'failure' ? consecutive + 1 : 0;
      const rate = recent.filter(Boolean).length / recent.length;
      if (consecutive >= s.failureThreshold || (recent.length >= s.rateWindow && rate >= s.failureRate)) move('open');
    };
    return { probe, succeeded: () => settle('success'), failed: () => settle('failure'), release: () => settle('none') };
  };

  return {
    state,
    acquire() {
      const now = state();
      if (now === 'closed') {
        counts.admitted++;
        return permit(false);
      }
      // A probe that never reported back frees its slot after another cool-down.
      const probeStuck = probeOutSince !== null && clock.now() - probeOutSince >= s.coolDownMs;
      if (now === 'half_open' && (probeOutSince === null || probeStuck)) {
        if (probeStuck) generation++;
        probeOutSince = clock.now();
        counts.admitted++;
        return permit(true);
      }
      counts.refused++;
      return undefined;
    },
    snapshot() {
      const now = state();
      return {
        state: now,
        consecutiveFailures: consecutive,
        openedAt,
        retryAfterMs: now === 'open' ? Math.max(0, (openedAt ?? 0) + s.coolDownMs - clock.now()) : 0,
        counts: { ...counts },
      };
    },
  };
}

function withoutUndefined(settings: BreakerSettings): BreakerSettings {
  return Object.fromEntries(
    Object.entries({
      failureThreshold: settings.failureThreshold,
      coolDownMs: settings.coolDownMs,
      failureRate: settings.failureRate,
      rateWindow: settings.rateWindow,
    }).filter(([, v]) => v !== undefined),
  );
}
