import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../shared/adapters/local/clock.ts';
import { createLocalKeyRing } from '../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../shared/adapters/local/local-key-ring-memory.ts';
import { IamError } from '../../shared/domain/errors.ts';
import { ACCESS_TOKEN_TYP, signJws } from '../../shared/domain/keys/sign-jws.ts';
import type { KeyRing } from '../../shared/domain/ports.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { router } from '../../shared/http/router.ts';
import type { HttpRequest } from '../../shared/http/types.ts';
import { silentLogger } from '../../shared/log.ts';
import { DISCOVERY_CACHE_CONTROL, JWKS_CACHE_CONTROL, tokenRoutes } from './routes.ts';

const ISSUER = 'https://iam.example.com';

function get(path: string, method = 'GET'): HttpRequest {
  return {
    method,
    path,
    headers: {},
    query: new URLSearchParams(),
    rawBody: Buffer.alloc(0),
    requestId: 'req-00000001',
    trace: undefined,
    params: {},
  };
}

/** What a client receives: the handler's answer, or the error envelope for what it threw. */
async function call(ring: KeyRing, request: HttpRequest) {
  const handler = router(tokenRoutes({ keyRing: ring, issuer: ISSUER }));
  return handler(request).catch((e: unknown) => errorResponse(e, request.requestId, silentLogger));
}

const localRing = () => createLocalKeyRing(memoryKeyStore(), { clock: fixedClock(Date.UTC(2026, 0, 1)) });

describe('token routes', () => {
  it('GET /.well-known/jwks.json serves current and next, public only, with Cache-Control', async () => {
    const ring = localRing();
    const res = await call(ring, get('/.well-known/jwks.json'));
    expect(res.status).toBe(200);
    expect(res.headers?.['cache-control']).toBe('public, max-age=300, stale-while-revalidate=60');
    expect(res.headers?.['cache-control']).toBe(JWKS_CACHE_CONTROL);
    const { keys } = res.body as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(2);
    expect(keys[0]?.['kid']).toBe((await ring.current()).kid);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('serves a JWKS that verifies tokens the ring signs', async () => {
    const ring = localRing();
    const now = Math.floor(Date.now() / 1000);
    const jwt = await signJws(await ring.current(), { typ: ACCESS_TOKEN_TYP }, { iss: ISSUER, sub: 'u1', iat: now, exp: now + 900 });
    const res = await call(ring, get('/.well-known/jwks.json'));
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(res.body as { keys: JWK[] }), {
      issuer: ISSUER,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(payload.sub).toBe('u1');
  });

  it('after a rotation, serves previous too, so tokens signed before it still verify', async () => {
    const clock = fixedClock(Date.UTC(2026, 0, 1));
    const ring = createLocalKeyRing(memoryKeyStore(), { clock });
    const before = await signJws(await ring.current(), { typ: ACCESS_TOKEN_TYP }, { sub: 'u1' });
    clock.advance(24 * 3600 * 1000);
    expect((await ring.rotate('scheduled')).ok).toBe(true);
    const res = await call(ring, get('/.well-known/jwks.json'));
    expect((res.body as { keys: unknown[] }).keys).toHaveLength(3);
    await expect(jwtVerify(before, createLocalJWKSet(res.body as { keys: JWK[] }))).resolves.toBeDefined();
  });

  it('GET /.well-known/openid-configuration serves the discovery document for the issuer', async () => {
    const res = await call(localRing(), get('/.well-known/openid-configuration'));
    expect(res.status).toBe(200);
    expect(res.headers?.['cache-control']).toBe(DISCOVERY_CACHE_CONTROL);
    expect(res.body).toMatchObject({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      token_endpoint: `${ISSUER}/v1/token`,
      revocation_endpoint: `${ISSUER}/v1/revoke`,
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('answers 503 temporarily_unavailable with Retry-After and no-store when the keys cannot be read', async () => {
    const down: KeyRing = {
      current: () => Promise.reject(new IamError('temporarily_unavailable', 'kms down', { retryAfter: 5 })),
      published: () => Promise.reject(new IamError('temporarily_unavailable', 'kms down', { retryAfter: 5 })),
    };
    const res = await call(down, get('/.well-known/jwks.json'));
    expect(res.status).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '5', 'cache-control': 'no-store' });
    expect(res.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'a dependency is unavailable, retry later',
      request_id: 'req-00000001',
    });
  });

  it('answers 500 server_error, saying nothing more, when the ring breaks', async () => {
    const broken: KeyRing = { current: () => Promise.reject(new Error('bug')), published: () => Promise.reject(new Error('bug at /secret/path')) };
    const res = await call(broken, get('/.well-known/jwks.json'));
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });

  it('answers 405 for POST on a known path and 404 for an unknown one', async () => {
    expect((await call(localRing(), get('/.well-known/jwks.json', 'POST'))).status).toBe(405);
    const missing = await call(localRing(), get('/.well-known/nothing'));
    expect(missing.status).toBe(404);
    expect((missing.body as { error: string }).error).toBe('not_found');
  });
});
