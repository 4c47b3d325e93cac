import { describe, expect, it } from 'vitest';
import { attemptKeys, checkAttempts, countFailure, MFA_TOKEN_MAX_FAILURES, MFA_USER_MAX_FAILURES, MFA_USER_WINDOW_SECONDS, type MfaAttemptCounter } from './attempts.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const keys = attemptKeys('acme', 'alice', 'tok');
const iso = (ms: number): string => new Date(ms).toISOString();
const W = MFA_USER_WINDOW_SECONDS * 1000;

function fail(times: number, start = T0, step = 1000, stored: { token?: MfaAttemptCounter; user?: MfaAttemptCounter } = {}) {
  let s = { token: stored.token, user: stored.user };
  for (let i = 0; i < times; i++) s = countFailure(keys, 'alice', s, start + i * step);
  return s as { token: MfaAttemptCounter; user: MfaAttemptCounter };
}

describe('attempt limits (pure)', () => {
  it('keys counters per token and per user, apart per tenant', () => {
    expect(keys).toEqual({ token: { tenant_id: 'acme', scope: 'token', subject: 'tok' }, user: { tenant_id: 'acme', scope: 'user', subject: 'alice' } });
  });

  it('counts failures on both counters, with user id and expiry', () => {
    const s = fail(2);
    expect(s.token).toEqual({ ...keys.token, user_id: 'alice', failures: 2, window_started_at: iso(T0), locked_until: null, expires_at: iso(T0 + 1000 + 15 * 60_000) });
    expect(s.user).toEqual({ ...keys.user, user_id: 'alice', failures: 2, window_started_at: iso(T0), locked_until: null, expires_at: iso(T0 + W) });
    expect(checkAttempts(s.token, s.user, T0 + 2000)).toEqual({ kind: 'open' });
  });

  it(`exhausts the token at ${MFA_TOKEN_MAX_FAILURES} failures, and only then`, () => {
    const four = fail(MFA_TOKEN_MAX_FAILURES - 1);
    expect(checkAttempts(four.token, four.user, T0 + 10_000)).toEqual({ kind: 'open' });
    const five = fail(MFA_TOKEN_MAX_FAILURES);
    expect(checkAttempts(five.token, five.user, T0 + 10_000)).toEqual({ kind: 'token_exhausted' });
    // A token's counter does not lapse with the user window: the token itself expires.
    expect(checkAttempts(five.token, undefined, T0 + 10 * W)).toEqual({ kind: 'token_exhausted' });
  });

  it(`locks the user at ${MFA_USER_MAX_FAILURES} failures for the window from the last one, reporting the seconds left`, () => {
    const s = fail(MFA_USER_MAX_FAILURES, T0, 10_000);
    const last = T0 + (MFA_USER_MAX_FAILURES - 1) * 10_000;
    expect(s.user.locked_until).toBe(iso(last + W));
    expect(s.user.expires_at).toBe(iso(last + W));
    expect(checkAttempts(undefined, s.user, last)).toEqual({ kind: 'user_locked', retryAfterSeconds: MFA_USER_WINDOW_SECONDS });
    expect(checkAttempts(undefined, s.user, last + W - 1500)).toEqual({ kind: 'user_locked', retryAfterSeconds: 2 });
    expect(checkAttempts(undefined, s.user, last + W)).toEqual({ kind: 'open' });
    // The user lock wins over an exhausted token: it says when to come back.
    expect(checkAttempts(s.token, s.user, last).kind).toBe('user_locked');
  });

  it('a failure after the window or after a lock ended starts a new window', () => {
    const s = fail(3);
    const later = countFailure(keys, 'alice', { token: undefined, user: s.user }, T0 + W + 5000);
    expect(later.user).toMatchObject({ failures: 1, window_started_at: iso(T0 + W + 5000) });
    const locked = fail(MFA_USER_MAX_FAILURES);
    const after = countFailure(keys, 'alice', { token: undefined, user: locked.user }, Date.parse(locked.user.locked_until as string));
    expect(after.user).toMatchObject({ failures: 1, locked_until: null });
  });

  it('a full counter without a lock (the limit lowered meanwhile) refuses until its window ends', () => {
    const full: MfaAttemptCounter = { ...keys.user, user_id: 'alice', failures: MFA_USER_MAX_FAILURES + 3, window_started_at: iso(T0), locked_until: null, expires_at: iso(T0 + W) };
    expect(checkAttempts(undefined, full, T0 + 60_000)).toEqual({ kind: 'user_locked', retryAfterSeconds: MFA_USER_WINDOW_SECONDS - 60 });
    expect(checkAttempts(undefined, full, T0 + W)).toEqual({ kind: 'open' });
  });
});
