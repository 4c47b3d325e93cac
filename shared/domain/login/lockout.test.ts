import { describe, expect, it } from 'vitest';
import { lockoutEmailHash, lockoutKey, reserveAttempt, type LockoutCounter } from './lockout.ts';

const T0 = Date.UTC(2026, 0, 1);
const policy = { threshold: 3, unlock_after_seconds: 600 };
const key = { tenant_id: 't1', email_hash: 'e', ip_hash: 'i' };
const iso = (ms: number) => new Date(ms).toISOString();

/** Runs `n` reservations at `at`, feeding each result to the next. */
function run(n: number, at: number, start?: LockoutCounter) {
  let stored = start;
  const kinds: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = reserveAttempt(key, stored, policy, at);
    kinds.push(r.kind);
    if (r.kind === 'reserved') stored = r.counter;
  }
  return { kinds, stored };
}

describe('reserveAttempt', () => {
  it('reserves up to the threshold, sets locked_until on the threshold-th, refuses after', () => {
    const { kinds, stored } = run(5, T0);
    expect(kinds).toEqual(['reserved', 'reserved', 'reserved', 'locked', 'locked']);
    expect(stored).toEqual({ ...key, failures: 3, window_started_at: iso(T0), updated_at: iso(T0), locked_until: iso(T0 + 600_000) });
  });

  it('tells how long the lock lasts, rounded up, at least 1 s', () => {
    const { stored } = run(3, T0);
    expect(reserveAttempt(key, stored, policy, T0 + 1)).toEqual({ kind: 'locked', retryAfterSeconds: 600 });
    expect(reserveAttempt(key, stored, policy, T0 + 599_001)).toEqual({ kind: 'locked', retryAfterSeconds: 1 });
  });

  it('auto-unlocks when locked_until has passed: the counter starts again', () => {
    const { stored } = run(3, T0);
    const r = reserveAttempt(key, stored, policy, T0 + 600_000);
    expect(r).toEqual({ kind: 'reserved', counter: { ...key, failures: 1, window_started_at: iso(T0 + 600_000), updated_at: iso(T0 + 600_000), locked_until: null } });
  });

  it('failures older than the window no longer count', () => {
    const { stored } = run(2, T0);
    expect(reserveAttempt(key, stored, policy, T0 + 599_999)).toMatchObject({ kind: 'reserved', counter: { failures: 3 } });
    expect(reserveAttempt(key, stored, policy, T0 + 600_000)).toMatchObject({ kind: 'reserved', counter: { failures: 1 } });
  });

  it('a counter already at a lowered threshold is locked until its window ends', () => {
    const stored: LockoutCounter = { ...key, failures: 4, window_started_at: iso(T0), updated_at: iso(T0 + 10_000), locked_until: null };
    expect(reserveAttempt(key, stored, policy, T0 + 20_000)).toEqual({ kind: 'locked', retryAfterSeconds: 590 });
  });

  it('threshold 1: the first attempt is verified and locks', () => {
    const r = reserveAttempt(key, undefined, { threshold: 1, unlock_after_seconds: 60 }, T0);
    expect(r).toMatchObject({ kind: 'reserved', counter: { failures: 1, locked_until: iso(T0 + 60_000) } });
  });
});

describe('lockoutKey', () => {
  it('holds only hashes: 43-character base64url, different per email, per IP and per kind', async () => {
    const k = await lockoutKey('t1', 'alice@example.com', '203.0.113.9');
    expect(k.tenant_id).toBe('t1');
    expect(k.email_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(k.ip_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(k.email_hash).toBe(await lockoutEmailHash('alice@example.com'));
    expect((await lockoutKey('t1', 'bob@example.com', '203.0.113.9')).email_hash).not.toBe(k.email_hash);
    expect((await lockoutKey('t1', 'alice@example.com', '203.0.113.10')).ip_hash).not.toBe(k.ip_hash);
    // domain separation: the same string as email and as IP hashes differently
    const same = await lockoutKey('t1', 'x', 'x');
    expect(same.email_hash).not.toBe(same.ip_hash);
  });
});
