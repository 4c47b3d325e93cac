import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE, statusOf } from '../http/status.ts';
import { IamError, isIamError, type IamErrorCode } from './errors.ts';

/** The codes of the `IamErrorCode` union, read from its source (types vanish at run time). */
function unionCodes(): string[] {
  const source = readFileSync(new URL('./errors.ts', import.meta.url), 'utf8');
  const union = /export type IamErrorCode =([\s\S]*?);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/\|\s*'([a-z_]+)'/g)].map((m) => m[1] as string);
}

const codes = Object.keys(STATUS_BY_CODE) as IamErrorCode[];

describe('IamErrorCode and the status map', () => {
  it('maps exactly the codes of the union, each once', () => {
    const fromUnion = unionCodes();
    expect(fromUnion.length).toBeGreaterThan(20);
    expect(new Set(fromUnion).size).toBe(fromUnion.length);
    expect([...fromUnion].sort()).toEqual([...codes].sort());
  });

  it('gives every code a 4xx or 5xx status', () => {
    for (const code of codes) {
      const status = statusOf(code);
      expect(Number.isInteger(status), code).toBe(true);
      expect(status >= 400 && status <= 599, `${code} -> ${status}`).toBe(true);
    }
  });

  it('lets only server_error, temporarily_unavailable and residency_violation be 5xx', () => {
    const fiveHundreds = codes.filter((c) => statusOf(c) >= 500).sort();
    expect(fiveHundreds).toEqual(['residency_violation', 'server_error', 'temporarily_unavailable']);
    expect(statusOf('temporarily_unavailable')).toBe(503);
    expect(statusOf('server_error')).toBe(500);
  });

  it('keeps request-shape failures 4xx (SPEC section 3: never a 5xx)', () => {
    expect(statusOf('invalid_json')).toBe(400);
    expect(statusOf('invalid_request')).toBe(400);
    expect(statusOf('unsupported_media_type')).toBe(415);
    expect(statusOf('payload_too_large')).toBe(413);
    expect(statusOf('not_found')).toBe(404);
    expect(statusOf('method_not_allowed')).toBe(405);
  });

  it('matches the statuses SPEC section 3 names for login', () => {
    expect(statusOf('invalid_grant')).toBe(401);
    expect(statusOf('mfa_required')).toBe(401);
    expect(statusOf('account_locked')).toBe(429);
  });

  it('uses snake_case codes (RFC 6749 section 5.2 style)', () => {
    for (const code of codes) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });
});

describe('IamError', () => {
  it('carries its code, description, fields, retryAfter and cause', () => {
    const cause = new Error('root');
    const err = new IamError('account_locked', 'locked', { cause, fields: { retry_after: 60 }, retryAfter: 60 });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('IamError');
    expect(err.code).toBe('account_locked');
    expect(err.message).toBe('locked');
    expect(err.fields).toEqual({ retry_after: 60 });
    expect(err.retryAfter).toBe(60);
    expect(err.cause).toBe(cause);
  });

  it('defaults to no fields, no retryAfter and no cause', () => {
    const err = new IamError('not_found', 'no such endpoint');
    expect(err.fields).toEqual({});
    expect(err.retryAfter).toBeUndefined();
    expect('cause' in err).toBe(false);
  });

  it('isIamError narrows by class and, optionally, by code', () => {
    const err = new IamError('conflict', 'x');
    expect(isIamError(err)).toBe(true);
    expect(isIamError(err, 'conflict')).toBe(true);
    expect(isIamError(err, 'not_found')).toBe(false);
    expect(isIamError(new Error('x'))).toBe(false);
    expect(isIamError({ code: 'conflict' })).toBe(false);
    expect(isIamError(undefined)).toBe(false);
  });
});
