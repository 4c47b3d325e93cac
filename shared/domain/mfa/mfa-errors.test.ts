import { describe, expect, it } from 'vitest';
import { statusOf } from '../../http/status.ts';
import { mfaRefusalError, type MfaRefusal } from './mfa-errors.ts';

describe('mfaRefusalError: what a client sees for each refusal', () => {
  const table: readonly (readonly [MfaRefusal, string, number])[] = [
    [{ kind: 'malformed' }, 'invalid_request', 400],
    [{ kind: 'invalid_code' }, 'invalid_grant', 401],
    [{ kind: 'replayed' }, 'invalid_grant', 401],
    [{ kind: 'used_code' }, 'invalid_grant', 401],
    [{ kind: 'no_factor' }, 'invalid_grant', 401],
    [{ kind: 'token_exhausted' }, 'invalid_grant', 401],
    [{ kind: 'user_locked', retryAfterSeconds: 42 }, 'rate_limited', 429],
    [{ kind: 'no_pending_factor' }, 'invalid_request', 400],
    [{ kind: 'enrollment_expired' }, 'invalid_request', 400],
    [{ kind: 'no_primary_factor' }, 'invalid_request', 400],
    [{ kind: 'user_not_found' }, 'invalid_token', 401],
  ];
  for (const [refusal, code, status] of table) {
    it(`${refusal.kind} -> ${status} ${code}`, () => {
      const e = mfaRefusalError(refusal);
      expect(e.code).toBe(code);
      expect(statusOf(e.code)).toBe(status);
    });
  }

  it('a wrong, replayed or used code and a missing factor look the same to the client', () => {
    const bodies = (['invalid_code', 'replayed', 'used_code', 'no_factor'] as const).map((kind) => {
      const e = mfaRefusalError({ kind });
      return [e.code, e.message, e.fields];
    });
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
  });

  it('a user lock carries retry_after and Retry-After', () => {
    const e = mfaRefusalError({ kind: 'user_locked', retryAfterSeconds: 42 });
    expect(e.fields).toEqual({ retry_after: 42 });
    expect(e.retryAfter).toBe(42);
  });

  it('words the malformed answer per method', () => {
    expect(mfaRefusalError({ kind: 'malformed' }, 'totp').message).toMatch(/6 digits/);
    expect(mfaRefusalError({ kind: 'malformed' }, 'recovery_code').message).toMatch(/XXXXX-XXXXX/);
  });
});
