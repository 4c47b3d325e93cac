import { describe, expect, it } from 'vitest';
import { createClassifierBreaker } from './classifier-breaker.ts';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('createClassifierBreaker', () => {
  it('admits perMinute calls per tenant per minute, then over_budget until the next minute; tenants are apart', () => {
    const b = createClassifierBreaker({ perMinute: 3, failuresToOpen: 3, openMs: 30_000 });
    expect([1, 2, 3, 4].map((i) => b.admit('acme', T0 + i))).toEqual(['ok', 'ok', 'ok', 'over_budget']);
    expect(b.admit('globex', T0 + 5)).toBe('ok');
    expect(b.admit('acme', T0 + 59_999)).toBe('over_budget');
    expect(b.admit('acme', T0 + 60_000)).toBe('ok');
  });

  it('with a budget of 0 never admits', () => {
    const b = createClassifierBreaker({ perMinute: 0, failuresToOpen: 3, openMs: 30_000 });
    expect(b.admit('acme', T0)).toBe('over_budget');
  });

  it('opens after failuresToOpen failures in a row, lets one trial through after openMs, and closes on its success', () => {
    const b = createClassifierBreaker({ perMinute: 1000, failuresToOpen: 3, openMs: 30_000 });
    for (const outcome of ['timeout', 'error', 'timeout'] as const) {
      expect(b.admit('acme', T0)).toBe('ok');
      b.record(outcome, T0);
    }
    expect(b.admit('acme', T0 + 1)).toBe('circuit_open');
    expect(b.admit('globex', T0 + 29_999)).toBe('circuit_open');
    expect(b.admit('acme', T0 + 30_000)).toBe('ok'); // the trial
    expect(b.admit('globex', T0 + 30_001)).toBe('circuit_open'); // only one trial at a time
    b.record('ok', T0 + 30_100);
    expect(b.admit('globex', T0 + 30_200)).toBe('ok');
    expect(b.admit('acme', T0 + 30_300)).toBe('ok');
  });

  it('opens again when the trial fails', () => {
    const b = createClassifierBreaker({ perMinute: 1000, failuresToOpen: 2, openMs: 10_000 });
    b.admit('acme', T0);
    b.record('error', T0);
    b.admit('acme', T0);
    b.record('error', T0);
    expect(b.admit('acme', T0 + 10_000)).toBe('ok');
    b.record('timeout', T0 + 10_300);
    expect(b.admit('acme', T0 + 10_400)).toBe('circuit_open');
    expect(b.admit('acme', T0 + 20_300)).toBe('ok');
  });

  it('a success in between resets the count of failures', () => {
    const b = createClassifierBreaker({ perMinute: 1000, failuresToOpen: 3, openMs: 30_000 });
    for (const outcome of ['error', 'error', 'ok', 'error', 'error'] as const) {
      b.admit('acme', T0);
      b.record(outcome, T0);
    }
    expect(b.admit('acme', T0 + 1)).toBe('ok');
  });
});
