import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/local/clock.ts';
import { createCircuitBreaker, type BreakerPermit, type BreakerSettings, type BreakerTransition } from './circuit-breaker.ts';

const T0 = Date.UTC(2026, 0, 1);

function breaker(settings: BreakerSettings = {}) {
  const clock = fixedClock(T0);
  const transitions: BreakerTransition[] = [];
  const b = createCircuitBreaker({ failureThreshold: 3, coolDownMs: 10_000, ...settings, clock, onTransition: (t) => transitions.push(t) });
  const admit = (): BreakerPermit => {
    const p = b.acquire();
    if (p === undefined) throw new Error(`refused while ${b.state()}`);
    return p;
  };
  return { b, clock, transitions, admit, fail: (n = 1) => Array.from({ length: n }, () => admit().failed()) };
}

describe('circuit breaker', () => {
  it('stays closed below the threshold, and a success resets the consecutive count', () => {
    const { b, admit, fail } = breaker();
    fail(2);
    admit().succeeded();
    fail(2);
    expect(b.state()).toBe('closed');
    expect(b.snapshot().consecutiveFailures).toBe(2);
  });

  it('opens after N consecutive failures and then refuses at once, counting refusals', () => {
    const { b, fail, transitions } = breaker();
    fail(3);
    expect(b.state()).toBe('open');
    expect(b.acquire()).toBeUndefined();
    expect(b.acquire()).toBeUndefined();
    const snap = b.snapshot();
    expect(snap).toMatchObject({ state: 'open', openedAt: T0, retryAfterMs: 10_000 });
    expect(snap.counts).toMatchObject({ admitted: 3, refused: 2, failed: 3, opened: 1 });
    expect(transitions).toEqual([{ from: 'closed', to: 'open', at: T0 }]);
  });

  it('opens on a failure rate over the window even when failures never run N in a row', () => {
    const { b, admit } = breaker({ failureThreshold: 3, failureRate: 0.5, rateWindow: 6 });
    for (let i = 0; i < 2; i++) {
      admit().failed();
      admit().succeeded();
      admit().failed();
    }
    // 4 failures of the last 6, never 3 in a row
    expect(b.state()).toBe('open');
  });

  it('does not open on the rate before the window is full', () => {
    const { b, admit } = breaker({ failureRate: 0.5, rateWindow: 10 });
    admit().failed();
    admit().succeeded();
    admit().failed();
    expect(b.state()).toBe('closed');
  });

  it('turns half-open after the cool-down and lets exactly one probe through', () => {
    const { b, clock, fail } = breaker();
    fail(3);
    clock.advance(9_999);
    expect(b.state()).toBe('open');
    expect(b.snapshot().retryAfterMs).toBe(1);
    clock.advance(1);
    expect(b.state()).toBe('half_open');
    const probe = b.acquire();
    expect(probe?.probe).toBe(true);
    expect(b.acquire()).toBeUndefined(); // the probe is out
    probe?.succeeded();
    expect(b.state()).toBe('closed');
    expect(b.snapshot().consecutiveFailures).toBe(0);
  });

  it('opens again for a full cool-down when the probe fails', () => {
    const { b, clock, fail, transitions } = breaker();
    fail(3);
    clock.advance(10_000);
    b.acquire()?.failed();
    expect(b.state()).toBe('open');
    expect(b.snapshot().openedAt).toBe(T0 + 10_000);
    clock.advance(9_000);
    expect(b.acquire()).toBeUndefined();
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open', 'half_open->open']);
  });

  it('a released probe gives its slot back without an outcome', () => {
    const { b, clock, fail } = breaker();
    fail(3);
    clock.advance(10_000);
    b.acquire()?.release();
    expect(b.state()).toBe('half_open');
    expect(b.acquire()?.probe).toBe(true);
  });

  it('frees the slot of a probe that never reports back after another cool-down, and ignores its late outcome', () => {
    const { b, clock, fail } = breaker();
    fail(3);
    clock.advance(10_000);
    const stuck = b.acquire();
    clock.advance(9_999);
    expect(b.acquire()).toBeUndefined();
    clock.advance(1);
    const second = b.acquire();
    expect(second?.probe).toBe(true);
    stuck?.succeeded(); // too late: it must not close the breaker
    expect(b.state()).toBe('half_open');
    second?.failed();
    expect(b.state()).toBe('open');
  });

  it('ignores the outcome of a call admitted before the breaker changed state', () => {
    const { b, admit, clock } = breaker();
    const slow = admit(); // admitted while closed
    admit().failed();
    admit().failed();
    admit().failed();
    expect(b.state()).toBe('open');
    slow.succeeded(); // a slow call finishing late cannot close an open breaker
    expect(b.state()).toBe('open');
    clock.advance(10_000);
    expect(b.state()).toBe('half_open');
  });

  it('reports each permit once', () => {
    const { b, admit } = breaker();
    const p = admit();
    p.failed();
    p.failed();
    p.failed();
    expect(b.state()).toBe('closed');
    expect(b.snapshot().counts.failed).toBe(1);
  });

  it.each([
    ['a zero threshold', { failureThreshold: 0 }],
    ['a zero cool-down', { coolDownMs: 0 }],
    ['a rate above 1', { failureRate: 1.5 }],
    ['an empty window', { rateWindow: 0 }],
  ])('refuses %s', (_name, settings) => {
    expect(() => createCircuitBreaker({ clock: fixedClock(T0), ...settings })).toThrow(RangeError);
  });
});
