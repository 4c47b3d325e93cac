/**
 * The self-service session routes in process: the real Bearer verifier over a
 * local key ring, the real live-session check, in-memory stores, and the
 * refresh use case for "a revoked session's refresh token fails at once".
 * Every refusal is checked for its status, its code, and that nothing was
 * written. Includes the forged-token acceptance (issue 4): alg none, HS256
 * signed with the public key, a wrong typ, expired, another issuer, an unknown
 * kid, a tampered payload: 401 on every session route.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createRefreshGraceCipher, ensureLocalRefreshGraceSecret } from '../../shared/adapters/crypto/refresh-grace-secrets.ts';
import { createLocalKeyRing, type LocalKeyRing } from '../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../shared/adapters/local/local-key-ring-memory.ts';
import { createLocalSecretSource } from '../../shared/adapters/local/local-secret-source.ts';
import { createMemoryStores, type MemoryStores } from '../../shared/adapters/memory/stores.ts';
import { aUser } from '../../shared/adapters/store/contracts/user-repo.contract.ts';
import { platformUnitOfWork } from '../../shared/adapters/store/platform-unit-of-work.ts';
import { base64urlEncodeText } from '../../shared/domain/keys/base64url.ts';
import { signJws } from '../../shared/domain/keys/sign-jws.ts';
import { revokeAllSessions } from '../../shared/domain/sessions/revocation-epoch-platform.ts';
import { revokeTenantSessions } from '../../shared/domain/sessions/revocation-epoch-tenant.ts';
import { rotateRefreshToken, type RotateRefreshTokenDeps } from '../../shared/domain/sessions/rotate-refresh-token.ts';
import { mintAccessToken } from '../../shared/domain/tokens/mint-access-token.ts';
import { createBearerVerifier } from '../../shared/http/bearer.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { fakeRequest, type FakeRequestInit } from '../../shared/http/fixtures/request.ts';
import { router } from '../../shared/http/router.ts';
import type { HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { sessionsWorld, WORLD_TENANTS, type SessionsWorld } from '../../shared/testing/sessions-world.ts';
import { REVOKE_OTHERS_PATH, sessionRoutes, SESSIONS_PATH } from './session-routes.ts';

const ISSUER = 'http://127.0.0.1:8080';
const AUDIENCE = 'melmastoon';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Login {
  readonly sessionId: string;
  readonly refreshToken: string;
  readonly accessToken: string;
}

interface Harness {
  readonly w: SessionsWorld;
  readonly stores: MemoryStores;
  readonly ring: LocalKeyRing;
  readonly logs: string[];
  call(init: FakeRequestInit): Promise<HttpResponse>;
  /** A login of `userId` in `tenantId`: a family, its refresh token and an access token of it. */
  login(tenantId: string, userId: string): Promise<Login>;
  /** Refreshes with the refresh use case the refresh function serves. */
  refresh(refreshToken: string): ReturnType<typeof rotateRefreshToken>;
  /** Committed transactions over every database. */
  commits(): number;
}

async function harness(): Promise<Harness> {
  const stores = createMemoryStores();
  const w = await sessionsWorld(stores);
  const ring = createLocalKeyRing(memoryKeyStore(), { clock: w.clock });
  const logs: string[] = [];
  const log = createLogger({ service: 'refresh', write: (l) => logs.push(l) });
  const verifyBearer = createBearerVerifier({ keyRing: ring, clock: w.clock, issuer: ISSUER, audience: AUDIENCE });
  const handler = router(sessionRoutes({ ...w.deps, verifyBearer, log }));
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-sessions-'));
  dirs.push(dir);
  ensureLocalRefreshGraceSecret(dir);
  const refreshDeps: RotateRefreshTokenDeps = {
    ...w.deps,
    keyRing: ring,
    issuer: ISSUER,
    audience: AUDIENCE,
    graceCipher: createRefreshGraceCipher(createLocalSecretSource(dir)),
    risk: undefined,
  };
  const users = new Set<string>();
  return {
    w,
    stores,
    ring,
    logs,
    async call(init) {
      const req = fakeRequest(init);
      try {
        return await handler(req);
      } catch (e) {
        return errorResponse(e, req.requestId, log);
      }
    },
    async login(tenantId, userId) {
      const region = WORLD_TENANTS[tenantId] ?? 'eu';
      if (!users.has(`${region}/${userId}`)) {
        // User ids are unique per region (UUIDs in production): a test reusing one in another tenant shares the record slot, not the user.
        users.add(`${region}/${userId}`);
        await stores.uow.run(region, async (tx) => tx.users.create(aUser(tenantId, userId)));
      }
      const family = await w.startFamily(tenantId, userId);
      const minted = await mintAccessToken(
        { keyRing: ring, random: w.deps.random, issuer: ISSUER, audience: AUDIENCE },
        { userId, tenantId, roles: ['member'], amr: ['pwd'], sessionId: family.sessionId, nowMs: w.clock.now() },
      );
      return { ...family, accessToken: minted.token };
    },
    refresh(refreshToken) {
      return rotateRefreshToken(refreshDeps, {
        refreshToken,
        clientId: 'web',
        client: { ip: '203.0.113.7', maskedIp: '203.0.113.0/24', userAgent: 'test', requestId: 'req-refresh' },
      });
    },
    commits: () => [stores.databases.platform, ...Object.values(stores.databases.regions)].reduce((n, db) => n + db.commits, 0),
  };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const list = (h: Harness, token: string) => h.call({ method: 'GET', path: SESSIONS_PATH, headers: auth(token) });
const del = (h: Harness, token: string, id: string) => h.call({ method: 'DELETE', path: `/v1/sessions/${id}`, headers: auth(token) });
const others = (h: Harness, token: string) => h.call({ method: 'POST', path: REVOKE_OTHERS_PATH, headers: auth(token) });
const ids = (res: HttpResponse) => (res.body as { sessions: { session_id: string }[] }).sessions.map((s) => s.session_id);

/** Asserts a refusal's status and code, and that no transaction wrote anything. */
async function expectRefused(h: Harness, send: () => Promise<HttpResponse>, status: number, code: string): Promise<HttpResponse> {
  const before = h.commits();
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: code, request_id: 'req-test-0001' });
  if (status === 401) expect(res.headers?.['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  expect(h.commits()).toBe(before);
  return res;
}

describe('GET /v1/sessions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it("lists the caller's live sessions: 200, no-store, the current one marked, nothing else of the family", async () => {
    const a = await h.login('acme', 'alice');
    h.w.clock.advance(1000);
    const b = await h.login('acme', 'alice');
    const res = await list(h, a.accessToken);
    expect(res.status).toBe(200);
    expect(res.headers?.['cache-control']).toBe('no-store');
    const body = res.body as { sessions: Record<string, unknown>[] };
    expect(body.sessions.map((s) => [s['session_id'], s['current']])).toEqual([
      [b.sessionId, false],
      [a.sessionId, true],
    ]);
    expect(body.sessions[0]).toEqual({
      session_id: b.sessionId,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      device: 'Firefox on Linux',
      ip: '203.0.113.0/24',
      current: false,
    });
  });

  it("never lists another user's or another tenant's sessions (same user id in another tenant and region too)", async () => {
    const alice = await h.login('acme', 'alice');
    const bob = await h.login('acme', 'bob');
    const globex = await h.login('globex', 'alice');
    const umbrella = await h.login('umbrella', 'alice');
    expect(ids(await list(h, alice.accessToken))).toEqual([alice.sessionId]);
    expect(ids(await list(h, bob.accessToken))).toEqual([bob.sessionId]);
    expect(ids(await list(h, globex.accessToken))).toEqual([globex.sessionId]);
    expect(ids(await list(h, umbrella.accessToken))).toEqual([umbrella.sessionId]);
  });
});

describe('DELETE /v1/sessions/{session_id}', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it("revokes one of the caller's sessions: 204; its refresh token fails AT ONCE and its access token is refused on the session routes", async () => {
    const phone = await h.login('acme', 'alice');
    const laptop = await h.login('acme', 'alice');
    const res = await del(h, laptop.accessToken, phone.sessionId);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    const refused = await h.refresh(phone.refreshToken);
    expect(!refused.ok && { code: refused.error.error.code, reason: refused.error.reason }).toEqual({ code: 'invalid_grant', reason: 'revoked' });
    await expectRefused(h, () => list(h, phone.accessToken), 401, 'invalid_token');
    // The other session goes on: listing and refreshing.
    expect(ids(await list(h, laptop.accessToken))).toEqual([laptop.sessionId]);
    const refreshed = await h.refresh(laptop.refreshToken);
    expect(refreshed.ok).toBe(true);
    // Audited with the user as actor; the event is in the outbox.
    const audit = (await h.stores.databases.regions.eu.query('audit', {})).map((d) => d.data).filter((a) => a['action'] === 'session.revoked');
    expect(audit).toEqual([expect.objectContaining({ actor: { type: 'user', id: 'alice' }, target: `session/${phone.sessionId}`, request_id: 'req-test-0001' })]);
    const events = (await h.stores.databases.regions.eu.query('outbox', {})).map((d) => d.data).filter((e) => e['type'] === 'iam.session.revoked.v1');
    expect(events).toHaveLength(1);
  });

  it('the caller may revoke its own current session; its token is refused afterwards', async () => {
    const a = await h.login('acme', 'alice');
    expect((await del(h, a.accessToken, a.sessionId)).status).toBe(204);
    await expectRefused(h, () => del(h, a.accessToken, a.sessionId), 401, 'invalid_token');
  });

  it("answers 404 not_found, identical to an unknown id, for another user's and another tenant's sessions; nothing revoked", async () => {
    const alice = await h.login('acme', 'alice');
    const bob = await h.login('acme', 'bob');
    const globex = await h.login('globex', 'gina');
    const umbrella = await h.login('umbrella', 'carol');
    const unknown = await expectRefused(h, () => del(h, alice.accessToken, '6f1c1a52-0000-4000-8000-000000000000'), 404, 'not_found');
    for (const victim of [bob.sessionId, globex.sessionId, umbrella.sessionId]) {
      const res = await expectRefused(h, () => del(h, alice.accessToken, victim), 404, 'not_found');
      expect(res.body).toEqual(unknown.body);
    }
    // Tenant B's token against tenant A's session, too.
    await expectRefused(h, () => del(h, globex.accessToken, alice.sessionId), 404, 'not_found');
    await expectRefused(h, () => del(h, umbrella.accessToken, alice.sessionId), 404, 'not_found');
    for (const victim of [bob, globex, umbrella]) {
      expect(ids(await list(h, victim.accessToken))).toEqual([victim.sessionId]);
      expect((await h.refresh(victim.refreshToken)).ok).toBe(true);
    }
  });

  it('answers 404 for session ids that cannot be one, before any read', async () => {
    const a = await h.login('acme', 'alice');
    for (const bad of ['..', '%2F..%2Fusers%2Falice', '__x__', 'a'.repeat(129), '%E2%80%AE']) {
      await expectRefused(h, () => del(h, a.accessToken, bad), 404, 'not_found');
    }
  });
});

describe('POST /v1/sessions/revoke-others', () => {
  it("revokes every other session of the caller, leaves the current one working, and nobody else's", async () => {
    const h = await harness();
    const current = await h.login('acme', 'alice');
    const old = [await h.login('acme', 'alice'), await h.login('acme', 'alice')];
    const bob = await h.login('acme', 'bob');
    const globex = await h.login('globex', 'gina');
    const res = await others(h, current.accessToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    expect(ids(await list(h, current.accessToken))).toEqual([current.sessionId]);
    expect((await h.refresh(current.refreshToken)).ok).toBe(true);
    for (const o of old) {
      const r = await h.refresh(o.refreshToken);
      expect(!r.ok && r.error.reason).toBe('revoked');
      await expectRefused(h, () => list(h, o.accessToken), 401, 'invalid_token');
    }
    for (const x of [bob, globex]) expect((await h.refresh(x.refreshToken)).ok).toBe(true);
    expect((await others(h, current.accessToken)).body).toEqual({ revoked: 0 });
  });

  it('takes no parameters: a body with a field is 400 invalid_request and revokes nothing; {} is fine', async () => {
    const h = await harness();
    const current = await h.login('acme', 'alice');
    const other = await h.login('acme', 'alice');
    const send = (body: string) =>
      h.call({ method: 'POST', path: REVOKE_OTHERS_PATH, headers: { ...auth(current.accessToken), 'content-type': 'application/json' }, body });
    await expectRefused(h, () => send('{"all":true}'), 400, 'invalid_request');
    await expectRefused(h, () => send('{not json'), 400, 'invalid_json');
    expect((await h.refresh(other.refreshToken)).ok).toBe(true);
    const ok = await send('{}');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ revoked: 1 });
  });
});

describe('the live-session check on every session route', () => {
  it('refuses tokens of families under a tenant or platform epoch, and a token whose sid is not its own user', async () => {
    const h = await harness();
    const alice = await h.login('acme', 'alice');
    const globex = await h.login('globex', 'bob');
    h.w.clock.advance(1000);
    await revokeTenantSessions(h.w.deps, { tenantId: 'acme', actor: { type: 'admin', id: 'ops' }, reason: 'incident' });
    for (const send of [() => list(h, alice.accessToken), () => others(h, alice.accessToken), () => del(h, alice.accessToken, alice.sessionId)]) {
      await expectRefused(h, send, 401, 'invalid_token');
    }
    expect((await list(h, globex.accessToken)).status).toBe(200);
    await revokeAllSessions({ platformUow: platformUnitOfWork(h.stores.databases.platform), clock: h.w.clock, random: h.w.deps.random }, { actor: { type: 'platform', id: 'ops' }, reason: 'incident' });
    await expectRefused(h, () => list(h, globex.accessToken), 401, 'invalid_token');
    // A genuine signature over a sid of someone else's family.
    const h2 = await harness();
    const bobs = await h2.login('acme', 'bob');
    const now = Math.floor(h2.w.clock.now() / 1000);
    const stolen = await signJws(await h2.ring.current(), { typ: 'at+jwt' }, {
      iss: ISSUER, sub: 'mallory', aud: AUDIENCE, exp: now + 900, iat: now, nbf: now, jti: 'jti-mallory-0123456789',
      tid: 'acme', roles: ['member'], amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', sid: bobs.sessionId, ver: 1,
    });
    await expectRefused(h2, () => list(h2, stolen), 401, 'invalid_token');
    await expectRefused(h2, () => del(h2, stolen, bobs.sessionId), 401, 'invalid_token');
  });
});

describe('forged Bearer tokens are refused with 401 on every session route (issue 4 acceptance)', () => {
  const enc = (o: unknown) => base64urlEncodeText(JSON.stringify(o));

  it.each([
    'no token',
    'alg none',
    'alg none with a signature part',
    'HS256 signed with the public key as the HMAC secret',
    'a wrong typ (JWT)',
    'expired',
    'another issuer',
    'another audience',
    'an unknown kid (a key of another ring)',
    'a tampered payload (sub changed, signature kept)',
    'a lifetime over 15 minutes',
  ])('%s', async (forgery) => {
    const h = await harness();
    const alice = await h.login('acme', 'alice');
    const victim = await h.login('acme', 'bob');
    const signer = await h.ring.current();
    const jwk = await signer.publicJwk();
    const now = Math.floor(h.w.clock.now() / 1000);
    const claims = {
      iss: ISSUER, sub: 'alice', aud: AUDIENCE, exp: now + 900, iat: now, nbf: now, jti: 'jti-forged-0123456789',
      tid: 'acme', roles: ['member'], amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', sid: alice.sessionId, ver: 1,
    };
    const [h64, p64] = alice.accessToken.split('.') as [string, string, string];
    let token: string | undefined;
    switch (forgery) {
      case 'no token':
        token = undefined;
        break;
      case 'alg none':
        token = `${enc({ alg: 'none', typ: 'at+jwt', kid: signer.kid })}.${enc(claims)}.`;
        break;
      case 'alg none with a signature part':
        token = `${enc({ alg: 'none', typ: 'at+jwt', kid: signer.kid })}.${enc(claims)}.AAAA`;
        break;
      case 'HS256 signed with the public key as the HMAC secret': {
        const input = `${enc({ alg: 'HS256', typ: 'at+jwt', kid: signer.kid })}.${enc(claims)}`;
        // Every plausible encoding of the public key an HMAC-confused verifier might use.
        const secrets = [JSON.stringify(jwk), JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }), jwk.x + jwk.y];
        for (const secret of secrets.slice(1)) {
          const t = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
          await expectRefused(h, () => list(h, t), 401, 'invalid_token');
        }
        token = `${input}.${createHmac('sha256', secrets[0] as string).update(input).digest('base64url')}`;
        break;
      }
      case 'a wrong typ (JWT)':
        token = await signJws(signer, { typ: 'JWT' }, claims);
        break;
      case 'expired':
        token = await signJws(signer, { typ: 'at+jwt' }, { ...claims, iat: now - 1000, nbf: now - 1000, exp: now - 100 });
        break;
      case 'another issuer':
        token = await signJws(signer, { typ: 'at+jwt' }, { ...claims, iss: 'https://evil.example' });
        break;
      case 'another audience':
        token = await signJws(signer, { typ: 'at+jwt' }, { ...claims, aud: 'someone-else' });
        break;
      case 'an unknown kid (a key of another ring)': {
        const other = createLocalKeyRing(memoryKeyStore(), { clock: h.w.clock });
        token = await signJws(await other.current(), { typ: 'at+jwt' }, claims);
        break;
      }
      case 'a tampered payload (sub changed, signature kept)': {
        const sig = alice.accessToken.split('.')[2] as string;
        const payload = JSON.parse(Buffer.from(p64, 'base64url').toString('utf8')) as Record<string, unknown>;
        token = `${h64}.${enc({ ...payload, sub: 'bob', sid: victim.sessionId })}.${sig}`;
        break;
      }
      case 'a lifetime over 15 minutes':
        token = await signJws(signer, { typ: 'at+jwt' }, { ...claims, exp: now + 3600 });
        break;
    }
    const headers = token === undefined ? {} : auth(token);
    await expectRefused(h, () => h.call({ method: 'GET', path: SESSIONS_PATH, headers }), 401, 'invalid_token');
    await expectRefused(h, () => h.call({ method: 'POST', path: REVOKE_OTHERS_PATH, headers }), 401, 'invalid_token');
    await expectRefused(h, () => h.call({ method: 'DELETE', path: `/v1/sessions/${victim.sessionId}`, headers }), 401, 'invalid_token');
    await expectRefused(h, () => h.call({ method: 'DELETE', path: `/v1/sessions/${alice.sessionId}`, headers }), 401, 'invalid_token');
    // Control: the genuine token of the same family works.
    expect((await list(h, alice.accessToken)).status).toBe(200);
    expect(ids(await list(h, victim.accessToken))).toEqual([victim.sessionId]);
  });
});
