import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../shared/http/envelope.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { router } from '../../shared/http/router.ts';
import type { HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import type { RefreshRiskCheck } from '../../shared/domain/sessions/rotate-refresh-token.ts';
import { refreshFunctionRoutes } from './routes.ts';
import { CLIENT, refreshWorld } from './testing/refresh-world.ts';

async function fixture(risk?: RefreshRiskCheck) {
  const w = await refreshWorld(risk === undefined ? {} : { risk });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'refresh', level: 'DEBUG', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const handler = router(refreshFunctionRoutes({ token: { ...w.deps, trustedProxies: parseTrustedProxies('127.0.0.1/32'), log } }));
  async function send(path: string, body: string, contentType: string, method = 'POST'): Promise<HttpResponse & { body: Record<string, unknown> }> {
    const raw = Buffer.from(body, 'utf8');
    const requestId = `req-${randomUUID()}`;
    const req = {
      method,
      path,
      headers: { 'content-type': contentType, 'content-length': String(raw.length) },
      query: new URLSearchParams(),
      rawBody: raw,
      requestId,
      trace: undefined,
      params: {},
      remoteAddress: '198.51.100.10',
    };
    return (await handler(req).catch((e: unknown) => errorResponse(e, requestId, log))) as HttpResponse & { body: Record<string, unknown> };
  }
  const form = (path: string, fields: string) => send(path, fields, 'application/x-www-form-urlencoded');
  const json = (path: string, body: unknown) => send(path, JSON.stringify(body), 'application/json');
  return { w, logs, send, form, json };
}

const enc = encodeURIComponent;

describe('POST /v1/token (refresh_token grant)', () => {
  it('form and JSON bodies both refresh; the answer is the login token body with no-store', async () => {
    const f = await fixture();
    const { token, sessionId } = await f.w.startFamily(await f.w.seedUser());
    const r1 = await f.form('/v1/token', `grant_type=refresh_token&refresh_token=${enc(token)}&client_id=${CLIENT}`);
    expect(r1.status).toBe(200);
    expect(r1.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    expect(Object.keys(r1.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'session_id', 'token_type']);
    expect(r1.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, session_id: sessionId });
    const r2 = await f.json('/v1/token', { grant_type: 'refresh_token', refresh_token: r1.body['refresh_token'], client_id: CLIENT });
    expect(r2.status).toBe(200);
    expect(r2.body['refresh_token']).not.toBe(r1.body['refresh_token']);
    expect(JSON.stringify(f.logs)).not.toContain(token);
    expect(JSON.stringify(f.logs)).not.toContain(String(r1.body['refresh_token']));
  });

  it('malformed requests get a 4xx with a code, before any token work', async () => {
    const f = await fixture();
    const { token } = await f.w.startFamily(await f.w.seedUser());
    const t = enc(token);
    const cases: [string, string, string, number, string][] = [
      ['unknown grant type', `grant_type=password&username=a&password=b`, 'form', 400, 'unsupported_grant_type'],
      ['authorization_code', `grant_type=authorization_code&code=x&client_id=${CLIENT}`, 'form', 400, 'unsupported_grant_type'],
      ['no grant type', `refresh_token=${t}&client_id=${CLIENT}`, 'form', 400, 'invalid_request'],
      ['repeated parameter', `grant_type=refresh_token&refresh_token=${t}&refresh_token=${t}&client_id=${CLIENT}`, 'form', 400, 'invalid_request'],
      ['repeated grant type', `grant_type=refresh_token&grant_type=refresh_token&refresh_token=${t}&client_id=${CLIENT}`, 'form', 400, 'invalid_request'],
      ['unknown field', `grant_type=refresh_token&refresh_token=${t}&client_id=${CLIENT}&scope=admin`, 'form', 400, 'invalid_request'],
      ['no client id', `grant_type=refresh_token&refresh_token=${t}`, 'form', 400, 'invalid_request'],
      ['bad client id', `grant_type=refresh_token&refresh_token=${t}&client_id=${enc('a b')}`, 'form', 400, 'invalid_request'],
      ['no refresh token', `grant_type=refresh_token&client_id=${CLIENT}`, 'form', 400, 'invalid_request'],
      ['empty refresh token', `grant_type=refresh_token&refresh_token=&client_id=${CLIENT}`, 'form', 400, 'invalid_request'],
      ['huge refresh token', `grant_type=refresh_token&refresh_token=${'a'.repeat(5000)}&client_id=${CLIENT}`, 'form', 400, 'invalid_request'],
      ['JSON array', '[]', 'json', 400, 'invalid_request'],
      ['JSON grant type not a string', JSON.stringify({ grant_type: 1, refresh_token: token, client_id: CLIENT }), 'json', 400, 'invalid_request'],
      ['JSON token not a string', JSON.stringify({ grant_type: 'refresh_token', refresh_token: 5, client_id: CLIENT }), 'json', 400, 'invalid_request'],
      ['broken JSON', '{"grant_type":', 'json', 400, 'invalid_json'],
      ['text body', 'grant_type=refresh_token', 'text', 415, 'unsupported_media_type'],
      ['forged token', `grant_type=refresh_token&refresh_token=${enc(`rt.acme.${'A'.repeat(43)}`)}&client_id=${CLIENT}`, 'form', 401, 'invalid_grant'],
      ['token of another kind', `grant_type=refresh_token&refresh_token=${enc(`mfa.acme.${'A'.repeat(43)}`)}&client_id=${CLIENT}`, 'form', 401, 'invalid_grant'],
      ['wrong client', `grant_type=refresh_token&refresh_token=${t}&client_id=other-app`, 'form', 401, 'invalid_grant'],
    ];
    const types: Record<string, string> = { form: 'application/x-www-form-urlencoded', json: 'application/json', text: 'text/plain' };
    for (const [name, body, kind, status, code] of cases) {
      const r = await f.send('/v1/token', body, types[kind] ?? '');
      expect([name, r.status, r.body['error']]).toEqual([name, status, code]);
      expect(typeof r.body['request_id']).toBe('string');
    }
    // None of it consumed the token.
    expect((await f.w.record(token))?.status).toBe('active');
    expect((await f.send('/v1/token', '', 'application/json', 'GET')).status).toBe(405);
  });

  it('reuse after the window: 401 invalid_grant and a warning in the log; the newest token is refused too', async () => {
    const f = await fixture();
    const { token, sessionId } = await f.w.startFamily(await f.w.seedUser());
    const body = (rt: string) => `grant_type=refresh_token&refresh_token=${enc(rt)}&client_id=${CLIENT}`;
    const next = String((await f.form('/v1/token', body(token))).body['refresh_token']);
    f.w.fixed.advance(11_000);
    const reuse = await f.form('/v1/token', body(token));
    expect([reuse.status, reuse.body['error']]).toEqual([401, 'invalid_grant']);
    expect(f.logs.some((l) => l['message'] === 'refresh token reuse: family revoked' && l['session_id'] === sessionId)).toBe(true);
    expect((await f.form('/v1/token', body(next))).status).toBe(401);
  });

  it('step-up: 401 mfa_required with mfa_token and methods', async () => {
    const f = await fixture(async () => ({ level: 'step_up' }));
    const { token } = await f.w.startFamily(await f.w.seedUser({ mfa_methods: ['totp'] }));
    const r = await f.json('/v1/token', { grant_type: 'refresh_token', refresh_token: token, client_id: CLIENT });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'mfa_required', methods: ['totp'] });
    expect(String(r.body['mfa_token'])).toMatch(/^mfa\.acme\.[A-Za-z0-9_-]{43}$/);
  });
});

describe('POST /v1/revoke (RFC 7009)', () => {
  it('revokes the family (200, empty object), then the refresh token is refused', async () => {
    const f = await fixture();
    const { token, sessionId } = await f.w.startFamily(await f.w.seedUser());
    const r = await f.form('/v1/revoke', `token=${enc(token)}&token_type_hint=refresh_token&client_id=${CLIENT}`);
    expect([r.status, r.body]).toEqual([200, {}]);
    expect(r.headers).toMatchObject({ 'cache-control': 'no-store' });
    expect((await f.w.family(sessionId))?.revoked_reason).toBe('token_revoked');
    const refresh = await f.json('/v1/token', { grant_type: 'refresh_token', refresh_token: token, client_id: CLIENT });
    expect([refresh.status, refresh.body['error']]).toEqual([401, 'invalid_grant']);
  });

  it('200 for unknown, invalid, already revoked and other clients\' tokens and for unknown hints; 4xx for malformed requests', async () => {
    const f = await fixture();
    const { token, sessionId } = await f.w.startFamily(await f.w.seedUser());
    for (const body of [
      `token=garbage&client_id=${CLIENT}`,
      `token=${enc(`rt.acme.${'A'.repeat(43)}`)}&client_id=${CLIENT}`,
      `token=${enc(token)}&client_id=other-app`,
      `token=x&token_type_hint=something_else&client_id=${CLIENT}`,
    ]) {
      const r = await f.form('/v1/revoke', body);
      expect([body, r.status]).toEqual([body, 200]);
    }
    expect((await f.w.family(sessionId))?.revoked_at).toBeNull();
    const bad: [string, string, number, string][] = [
      [`client_id=${CLIENT}`, 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [`token=${enc(token)}`, 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [`token=a&token=b&client_id=${CLIENT}`, 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [`token=a&client_id=${CLIENT}&extra=1`, 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [JSON.stringify({ token: 1, client_id: CLIENT }), 'application/json', 400, 'invalid_request'],
      ['{', 'application/json', 400, 'invalid_json'],
      ['token=a', 'text/plain', 415, 'unsupported_media_type'],
    ];
    for (const [body, type, status, code] of bad) {
      const r = await f.send('/v1/revoke', body, type);
      expect([body, r.status, r.body['error']]).toEqual([body, status, code]);
    }
  });
});
