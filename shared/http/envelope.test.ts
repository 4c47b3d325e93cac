import { describe, expect, it } from 'vitest';
import { IamError } from '../domain/errors.ts';
import { createLogger } from '../log.ts';
import { errorResponse } from './envelope.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'test', level: 'DEBUG', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  return { lines, log };
}

const RID = 'req-envelope-0001';

describe('errorResponse: 4xx', () => {
  it('renders the SPEC section 3 envelope with the mapped status', () => {
    const { log } = capture();
    const res = errorResponse(new IamError('invalid_grant', 'invalid credentials'), RID, log);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'invalid credentials', request_id: RID });
    expect(res.headers).toEqual({ 'cache-control': 'no-store' });
  });

  it('merges the client-visible fields next to the envelope', () => {
    const { log } = capture();
    const err = new IamError('mfa_required', 'a second factor is required', {
      fields: { mfa_token: 'mfa-opaque', methods: ['totp', 'webauthn'] },
    });
    expect(errorResponse(err, RID, log).body).toEqual({
      error: 'mfa_required',
      error_description: 'a second factor is required',
      request_id: RID,
      mfa_token: 'mfa-opaque',
      methods: ['totp', 'webauthn'],
    });
  });

  it('does not let fields overwrite error, error_description or request_id', () => {
    const { log } = capture();
    const err = new IamError('access_denied', 'denied', {
      fields: { error: 'server_error', error_description: 'spoofed', request_id: 'spoofed', extra: 1 },
    });
    expect(errorResponse(err, RID, log).body).toEqual({
      error: 'access_denied',
      error_description: 'denied',
      request_id: RID,
      extra: 1,
    });
  });

  it('sets Retry-After when the error carries one (account_locked)', () => {
    const { log } = capture();
    const res = errorResponse(new IamError('account_locked', 'locked', { retryAfter: 900, fields: { retry_after: 900 } }), RID, log);
    expect(res.status).toBe(429);
    expect(res.headers?.['retry-after']).toBe('900');
    expect(res.body).toMatchObject({ error: 'account_locked', retry_after: 900 });
  });

  it('adds WWW-Authenticate for invalid_token (RFC 6750 section 3)', () => {
    const { log } = capture();
    const res = errorResponse(new IamError('invalid_token', 'expired'), RID, log);
    expect(res.status).toBe(401);
    expect(res.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('logs a refusal at INFO with its code, not its cause', () => {
    const { lines, log } = capture();
    errorResponse(new IamError('invalid_request', 'bad', { cause: new Error('detail with token=abc') }), RID, log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ severity: 'INFO', message: 'request refused', error: 'invalid_request', status: 400 });
    expect(JSON.stringify(lines)).not.toContain('token=abc');
  });
});

describe('errorResponse: 5xx says only server_error or temporarily_unavailable', () => {
  const leaky = () => {
    const root = new Error('connect ECONNREFUSED 10.1.2.3:5432 user=alice@example.com');
    return new Error('firestore write failed for users/alice@example.com', { cause: root });
  };

  it.each([
    ['a plain Error', leaky()],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'alice@example.com')")],
    ['a thrown string', 'raw string with alice@example.com'],
    ['undefined', undefined],
    ['server_error with a detailed message', new IamError('server_error', 'invariant broken for alice@example.com', { cause: leaky() })],
    ['residency_violation', new IamError('residency_violation', 'tenant alice@example.com written to iam-us', { fields: { region: 'us' } })],
  ])('%s becomes a bare 500 server_error', (_name, thrown) => {
    const { log } = capture();
    const res = errorResponse(thrown, RID, log);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'server_error', error_description: 'internal error', request_id: RID });
    expect(res.headers).toEqual({ 'cache-control': 'no-store' });
    const text = JSON.stringify(res);
    for (const leaked of ['alice', 'ECONNREFUSED', '10.1.2.3', 'at ', 'stack', 'Error', 'region']) expect(text).not.toContain(leaked);
  });

  it('temporarily_unavailable is a 503 with Retry-After and a generic description', () => {
    const { log } = capture();
    const err = new IamError('temporarily_unavailable', 'KMS projects/p/keyRings/r down', { retryAfter: 2, cause: leaky() });
    const res = errorResponse(err, RID, log);
    expect(res.status).toBe(503);
    expect(res.headers).toEqual({ 'cache-control': 'no-store', 'retry-after': '2' });
    expect(res.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'a dependency is unavailable, retry later',
      request_id: RID,
    });
    expect(JSON.stringify(res)).not.toContain('KMS');
  });

  it('temporarily_unavailable always carries Retry-After, even if the throw site forgot it', () => {
    const { log } = capture();
    const res = errorResponse(new IamError('temporarily_unavailable', 'down'), RID, log);
    expect(res.headers?.['retry-after']).toBe('1');
  });

  it('logs the whole cause chain at ERROR for the operator', () => {
    const { lines, log } = capture();
    errorResponse(leaky(), RID, log);
    expect(lines).toHaveLength(1);
    const line = lines[0] as { severity: string; error: string; err: string };
    expect(line.severity).toBe('ERROR');
    expect(line.error).toBe('server_error');
    expect(line.err).toContain('firestore write failed');
    expect(line.err).toContain('caused by Error: connect ECONNREFUSED');
  });
});
