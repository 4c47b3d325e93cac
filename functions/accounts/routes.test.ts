/**
 * The accounts routes end to end in process: the real principal resolver (the
 * bootstrap secret from a local secret directory, Bearer tokens signed by a
 * local key ring), the real Argon2id hasher, in-memory stores. Every refusal
 * is checked for its status, its code, and that nothing was written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHibpBreachList } from '../../shared/adapters/hibp/hibp-breach-list.ts';
import { createLocalKeyRing, type LocalKeyRing } from '../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../shared/adapters/local/local-key-ring-memory.ts';
import { createLocalSecretSource, ensureLocalSecret } from '../../shared/adapters/local/local-secret-source.ts';
import { platformEpochSource } from '../../shared/adapters/store/revocation-repo.ts';
import { signJws } from '../../shared/domain/keys/sign-jws.ts';
import type { SessionFamily } from '../../shared/domain/sessions/session.ts';
import { sessionIsLive } from '../../shared/domain/sessions/session-is-live.ts';
import { createBearerVerifier } from '../../shared/http/bearer.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { fakeRequest, type FakeRequestInit } from '../../shared/http/fixtures/request.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { router } from '../../shared/http/router.ts';
import type { HttpRequest, HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { accountsWorld, type AccountsWorld } from '../../shared/testing/accounts-world.ts';
import { startHibpRangeServer, type HibpRangeServer } from '../../shared/testing/hibp-range-server.ts';
import { createPrincipalResolver } from './principal.ts';
import { accountsRoutes, type AccountsRouteDeps } from './routes.ts';

const ISSUER = 'http://127.0.0.1:8080';
const AUDIENCE = 'melmastoon';
const PW = 'a long and unremarkable passphrase';
const dirs: string[] = [];

interface Harness {
  readonly w: AccountsWorld;
  readonly ring: LocalKeyRing;
  readonly secret: string;
  readonly logs: string[];
  call(init: FakeRequestInit): Promise<HttpResponse>;
  /** An access token for a user (claims as login would issue them). */
  token(tenantId: string, userId: string, roles?: readonly string[]): Promise<string>;
}

async function harness(overrides: Partial<AccountsRouteDeps> = {}): Promise<Harness> {
  const w = await accountsWorld();
  const ring = createLocalKeyRing(memoryKeyStore(), { clock: w.clock });
  const dir = mkdtempSync(path.join(tmpdir(), 'iam-accounts-'));
  dirs.push(dir);
  const { file } = ensureLocalSecret(dir, 'iam-bootstrap-admin');
  const secret = readFileSync(file, 'utf8');
  const logs: string[] = [];
  const log = createLogger({ service: 'accounts', write: (l) => logs.push(l) });
  const verifier = createBearerVerifier({ keyRing: ring, clock: w.clock, issuer: ISSUER, audience: AUDIENCE });
  // As in index.ts: every route needs a live session.
  const checkSession = sessionIsLive({ ...w.deps, platformEpochs: platformEpochSource(w.stores.databases.platform, { clock: w.clock }) });
  const bearer = (req: Pick<HttpRequest, 'headers'>) => verifier(req, { checkSession });
  const principal = createPrincipalResolver({
    secrets: createLocalSecretSource(dir),
    bootstrapSecretName: 'iam-bootstrap-admin',
    verifyBearer: bearer,
    uow: w.deps.uow,
    directory: w.deps.directory,
    clock: w.clock,
    log,
  });
  const handler = router(accountsRoutes({ ...w.deps, bearer, principal, log, trustedProxies: parseTrustedProxies('127.0.0.1/32'), ...overrides }));
  return {
    w,
    ring,
    secret,
    logs,
    async call(init) {
      const req = fakeRequest(init);
      try {
        return await handler(req);
      } catch (e) {
        return errorResponse(e, req.requestId, log);
      }
    },
    async token(tenantId, userId, roles = ['member']) {
      const now = Math.floor(w.clock.now() / 1000);
      const region = (await w.stores.directory.regionOf(tenantId)) ?? 'eu';
      await w.stores.uow.run(region, async (tx) => {
        if ((await tx.sessions.get(tenantId, `sid-${userId}`)) === undefined) tx.sessions.create(liveFamily(tenantId, userId, w.clock.now()));
      });
      return signJws(await ring.current(), { typ: 'at+jwt' }, {
        iss: ISSUER, sub: userId, aud: AUDIENCE, exp: now + 900, iat: now, nbf: now, jti: `jti-${userId}-0123456789`,
        tid: tenantId, roles, amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', sid: `sid-${userId}`, ver: 1,
      });
    },
  };
}

/** A live session family `sid-<user>`, as a login starts it. */
function liveFamily(tenantId: string, userId: string, now: number): SessionFamily {
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    session_id: `sid-${userId}`, tenant_id: tenantId, user_id: userId, client_id: 'web', created_at: at(now - 1000), last_used_at: at(now - 1000),
    idle_expires_at: at(now + 14 * 86_400_000), absolute_expires_at: at(now + 90 * 86_400_000), device: 'test', device_id: null, ip: '203.0.113.0/24',
    amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', revoked_at: null, revoked_reason: null,
  };
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const boot = (h: Harness) => ({ authorization: `IamBootstrap ${h.secret}` });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const users = (tenant: string) => `/v1/admin/tenants/${tenant}/users`;

/** Asserts the status and code of an error envelope and that no transaction wrote anything. */
/** Asserts the refusal and that exactly `writes` transactions wrote (0: nothing; the password change's lockout counter is the one exception). */
async function expectRefused(h: Harness, init: FakeRequestInit, status: number, code: string, writes = 0): Promise<HttpResponse> {
  const before = h.w.commits();
  const res = await h.call(init);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: code, request_id: 'req-test-0001' });
  expect(h.w.commits()).toBe(before + writes);
  return res;
}

describe('the bootstrap credential', () => {
  it('creates a user: 201 {user_id}; audited with actor platform/bootstrap; the use is logged loudly, the secret never', async () => {
    const h = await harness();
    const res = await h.call({ path: users('acme'), headers: boot(h), body: { email: 'Alice@Example.com', roles: ['member'], password: PW } });
    expect(res.status).toBe(201);
    const userId = (res.body as { user_id: string }).user_id;
    expect(res.body).toEqual({ user_id: userId });
    expect(res.headers?.['cache-control']).toBe('no-store');
    expect((await h.w.user('acme', userId))?.email).toBe('alice@example.com');
    expect((await h.w.audit())[0]).toMatchObject({ actor: { type: 'platform', id: 'bootstrap' }, action: 'user.created', request_id: 'req-test-0001' });
    const used = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['message'] === 'bootstrap credential used');
    expect(used).toMatchObject({ severity: 'NOTICE', actor: 'platform/bootstrap' });
    expect(h.logs.join('\n')).not.toContain(h.secret);
  });

  it('refuses a wrong, a truncated, an extended or an empty secret: 401, nothing written, logged without the value', async () => {
    const h = await harness();
    for (const bad of ['wrong-secret-wrong-secret-wrong-secret-xx', h.secret.slice(0, -1), `${h.secret}x`, h.secret.toUpperCase() === h.secret ? `${h.secret}y` : h.secret.toUpperCase()]) {
      const res = await expectRefused(h, { path: users('acme'), headers: { authorization: `IamBootstrap ${bad}` }, body: { email: 'x@example.com', roles: [] } }, 401, 'invalid_token');
      expect(res.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    await expectRefused(h, { path: users('acme'), headers: { authorization: 'IamBootstrap' }, body: { email: 'x@example.com', roles: [] } }, 401, 'invalid_token');
    expect(h.logs.filter((l) => l.includes('bootstrap credential refused'))).toHaveLength(4);
    expect(h.logs.join('\n')).not.toContain('wrong-secret');
  });

  it('is also audited when it only reads (the policy)', async () => {
    const h = await harness();
    const res = await h.call({ method: 'GET', path: '/v1/admin/tenants/acme/policy', headers: boot(h) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenant_id: 'acme', policy: { lockout: { threshold: 5 } } });
    expect(await h.w.audit()).toMatchObject([{ action: 'tenant.policy_read', actor: { type: 'platform', id: 'bootstrap' } }]);
  });
});

describe('admin routes with a Bearer token', () => {
  async function withAdmin(tenant = 'acme'): Promise<Harness & { admin: string }> {
    const h = await harness();
    await h.w.seedUser({ user_id: 'adm-1', tenant_id: tenant, roles: ['tenant_admin'] });
    return Object.assign(h, { admin: await h.token(tenant, 'adm-1', ['tenant_admin']) });
  }

  it('a tenant admin manages its own tenant: create, read, roles, unlock, disable', async () => {
    const h = await withAdmin();
    const created = await h.call({ path: users('acme'), headers: bearer(h.admin), body: { email: 'bob@example.com', roles: ['member'] } });
    expect(created.status).toBe(201);
    const id = (created.body as { user_id: string }).user_id;
    const read = await h.call({ method: 'GET', path: `${users('acme')}/${id}`, headers: bearer(h.admin) });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ user_id: id, email: 'bob@example.com', roles: ['member'], status: 'active', has_password: false });
    expect(JSON.stringify(read.body)).not.toMatch(/argon2|phc/);
    const roles = await h.call({ method: 'PUT', path: `${users('acme')}/${id}/roles`, headers: bearer(h.admin), body: { roles: ['member', 'billing'] } });
    expect(roles).toMatchObject({ status: 200, body: { user_id: id, roles: ['member', 'billing'], changed: true } });
    const unlock = await h.call({ path: `${users('acme')}/${id}/unlock`, headers: bearer(h.admin) });
    expect(unlock).toMatchObject({ status: 200, body: { user_id: id, cleared_counters: 0 } });
    const disable = await h.call({ path: `${users('acme')}/${id}/disable`, headers: bearer(h.admin), body: {} });
    expect(disable).toMatchObject({ status: 200, body: { user_id: id, status: 'disabled', changed: true, revoked_sessions: 0 } });
    // Same instant (frozen clock): compare as sets.
    const types = (await h.w.outbox()).map((e) => e.type).sort();
    expect(types).toEqual(['iam.user.created.v1', 'iam.user.disabled.v1', 'iam.user.roles_changed.v1', 'iam.user.unlocked.v1']);
    const audit = await h.w.audit();
    expect(audit.every((a) => a.actor.type === 'admin' && a.actor.id === 'adm-1')).toBe(true);
    expect(audit.map((a) => a.action).sort()).toEqual(['user.created', 'user.disabled', 'user.read', 'user.roles_changed', 'user.unlocked']);
  });

  it('a token of tenant A on tenant B paths: 403 access_denied, nothing written, whatever B is', async () => {
    const h = await withAdmin('acme');
    await h.w.seedUser({ user_id: 'g1', tenant_id: 'globex' });
    await expectRefused(h, { path: users('globex'), headers: bearer(h.admin), body: { email: 'x@example.com', roles: ['member'] } }, 403, 'access_denied');
    await expectRefused(h, { method: 'GET', path: `${users('globex')}/g1`, headers: bearer(h.admin) }, 403, 'access_denied');
    await expectRefused(h, { method: 'PUT', path: `${users('globex')}/g1/roles`, headers: bearer(h.admin), body: { roles: [] } }, 403, 'access_denied');
    await expectRefused(h, { path: `${users('globex')}/g1/unlock`, headers: bearer(h.admin) }, 403, 'access_denied');
    await expectRefused(h, { path: `${users('globex')}/g1/disable`, headers: bearer(h.admin) }, 403, 'access_denied');
    await expectRefused(h, { method: 'GET', path: '/v1/admin/tenants/globex/policy', headers: bearer(h.admin) }, 403, 'access_denied');
    // An unknown tenant answers the same: nothing is learnt about B.
    await expectRefused(h, { method: 'GET', path: '/v1/admin/tenants/no-such/policy', headers: bearer(h.admin) }, 403, 'access_denied');
    // And a user id of B through A's path is simply not found in A.
    await expectRefused(h, { method: 'GET', path: `${users('acme')}/g1`, headers: bearer(h.admin) }, 404, 'not_found');
    expect((await h.w.user('globex', 'g1'))?.status).toBe('active');
  });

  it('a platform admin manages any tenant and grants reserved roles; a tenant admin may not', async () => {
    const h = await harness();
    await h.w.seedUser({ user_id: 'root-1', tenant_id: 'acme', roles: ['platform_admin'] });
    await h.w.seedUser({ user_id: 'adm-1', tenant_id: 'acme', roles: ['tenant_admin'] });
    await h.w.seedUser({ user_id: 'u1', tenant_id: 'umbrella' });
    const root = await h.token('acme', 'root-1', ['platform_admin']);
    const res = await h.call({ method: 'PUT', path: `${users('umbrella')}/u1/roles`, headers: bearer(root), body: { roles: ['tenant_admin'] } });
    expect(res.status).toBe(200);
    const adm = await h.token('acme', 'adm-1', ['tenant_admin']);
    await expectRefused(h, { path: users('acme'), headers: bearer(adm), body: { email: 'y@example.com', roles: ['tenant_admin'] } }, 403, 'access_denied');
  });

  it('rights come from the stored user, not the token: a demoted or disabled admin is refused at once', async () => {
    const h = await withAdmin();
    await h.w.seedUser({ user_id: 'adm-2', tenant_id: 'acme', roles: ['member'] });
    await h.w.seedUser({ user_id: 'adm-3', tenant_id: 'acme', roles: ['tenant_admin'], status: 'disabled' });
    const demoted = await h.token('acme', 'adm-2', ['tenant_admin', 'platform_admin']);
    await expectRefused(h, { path: users('globex'), headers: bearer(demoted), body: { email: 'z@example.com', roles: [] } }, 403, 'access_denied');
    await expectRefused(h, { path: users('acme'), headers: bearer(demoted), body: { email: 'z@example.com', roles: [] } }, 403, 'access_denied');
    const disabled = await h.token('acme', 'adm-3', ['tenant_admin']);
    await expectRefused(h, { path: users('acme'), headers: bearer(disabled), body: { email: 'z@example.com', roles: [] } }, 401, 'invalid_token');
    const ghost = await h.token('acme', 'nobody', ['tenant_admin']);
    await expectRefused(h, { path: users('acme'), headers: bearer(ghost), body: { email: 'z@example.com', roles: [] } }, 401, 'invalid_token');
  });

  it('a token whose session family is revoked or idle-expired: 401 invalid_token (admin routes and /v1/me/password)', async () => {
    const h = await withAdmin();
    await h.w.stores.uow.run('eu', async (tx) => {
      const f = await tx.sessions.get('acme', 'sid-adm-1');
      if (f) tx.sessions.put({ ...f, revoked_at: '2026-03-01T11:59:59.000Z', revoked_reason: 'user_revoked' });
    });
    const r = await expectRefused(h, { path: users('acme'), headers: bearer(h.admin), body: { email: 'q@example.com', roles: [] } }, 401, 'invalid_token');
    expect((r.body as { error_description: string }).error_description).toContain('session');
    await h.w.seedUser({ user_id: 'u9', tenant_id: 'acme' }, PW);
    const t = await h.token('acme', 'u9');
    await h.w.stores.uow.run('eu', async (tx) => {
      const f = await tx.sessions.get('acme', 'sid-u9');
      if (f) tx.sessions.put({ ...f, idle_expires_at: '2026-03-01T11:00:00.000Z' });
    });
    await expectRefused(h, { path: '/v1/me/password', headers: bearer(t), body: { current_password: PW, new_password: 'my new and longer passphrase' } }, 401, 'invalid_token');
  });

  it('no credential, a malformed one, an expired token: 401 invalid_token with WWW-Authenticate, before the body is read', async () => {
    const h = await withAdmin();
    const r1 = await expectRefused(h, { path: users('acme'), body: 'not json', headers: { 'content-type': 'application/json' } }, 401, 'invalid_token');
    expect(r1.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
    await expectRefused(h, { path: users('acme'), headers: { authorization: 'Basic YTpi' }, body: { email: 'q@example.com', roles: [] } }, 401, 'invalid_token');
    h.w.clock.advance(3600_000);
    await expectRefused(h, { path: users('acme'), headers: bearer(h.admin), body: { email: 'q@example.com', roles: [] } }, 401, 'invalid_token');
  });

  describe('bodies and paths are strict (400/415/404/405, nothing written)', () => {
    it.each([
      ['an unknown field', { email: 'a@example.com', roles: [], admin: true }, 'invalid_request'],
      ['no roles', { email: 'a@example.com' }, 'invalid_request'],
      ['repeated roles', { email: 'a@example.com', roles: ['a', 'a'] }, 'invalid_request'],
      ['a bad role name', { email: 'a@example.com', roles: ['Admin!'] }, 'invalid_request'],
      ['a non-string email', { email: 42, roles: [] }, 'invalid_request'],
      ['an invalid email', { email: 'nobody', roles: [] }, 'invalid_request'],
      ['a short password', { email: 'a@example.com', roles: [], password: 'short' }, 'weak_password'],
      ['a password over 1024 bytes', { email: 'a@example.com', roles: [], password: 'x'.repeat(1025) }, 'weak_password'],
      ['a breached password', { email: 'a@example.com', roles: [], password: 'correct horse battery staple' }, 'breached_password'],
    ])('create with %s', async (_name, body, code) => {
      const h = await withAdmin();
      await expectRefused(h, { path: users('acme'), headers: bearer(h.admin), body }, 400, code);
    });

    it('create with a duplicate email: 409 conflict', async () => {
      const h = await withAdmin();
      await h.w.seedUser({ user_id: 'u1', tenant_id: 'acme', email: 'dup@example.com' });
      await expectRefused(h, { path: users('acme'), headers: bearer(h.admin), body: { email: 'DUP@example.com', roles: [] } }, 409, 'conflict');
    });

    it('malformed JSON, a wrong content type, an unknown tenant for the platform', async () => {
      const h = await withAdmin();
      await expectRefused(h, { path: users('acme'), headers: { ...bearer(h.admin), 'content-type': 'application/json' }, body: '{"email":' }, 400, 'invalid_json');
      await expectRefused(h, { path: users('acme'), headers: { ...bearer(h.admin), 'content-type': 'text/plain' }, body: '{}' }, 415, 'unsupported_media_type');
      await expectRefused(h, { path: users('no-such'), headers: boot(h), body: { email: 'a@example.com', roles: [] } }, 404, 'tenant_not_found');
    });

    it('roles, unlock and disable bodies', async () => {
      const h = await withAdmin();
      await h.w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
      await expectRefused(h, { method: 'PUT', path: `${users('acme')}/u1/roles`, headers: bearer(h.admin), body: { roles: ['x'], extra: 1 } }, 400, 'invalid_request');
      await expectRefused(h, { method: 'PUT', path: `${users('acme')}/u1/roles`, headers: bearer(h.admin), body: { roles: 'x' } }, 400, 'invalid_request');
      await expectRefused(h, { path: `${users('acme')}/u1/unlock`, headers: bearer(h.admin), body: { force: true } }, 400, 'invalid_request');
      await expectRefused(h, { path: `${users('acme')}/u1/disable`, headers: bearer(h.admin), body: { reason: 'x' } }, 400, 'invalid_request');
      await expectRefused(h, { path: `${users('acme')}/nobody/disable`, headers: bearer(h.admin) }, 404, 'not_found');
      expect((await h.w.user('acme', 'u1'))?.status).toBe('active');
    });

    it('bad path parameters, unknown paths and methods', async () => {
      const h = await withAdmin();
      await expectRefused(h, { method: 'GET', path: '/v1/admin/tenants/ACME!/policy', headers: bearer(h.admin) }, 400, 'invalid_request');
      await expectRefused(h, { method: 'GET', path: `${users('acme')}/a%2Fb`, headers: bearer(h.admin) }, 400, 'invalid_request');
      await expectRefused(h, { method: 'DELETE', path: `${users('acme')}/u1`, headers: bearer(h.admin) }, 405, 'method_not_allowed');
      await expectRefused(h, { method: 'GET', path: '/v1/admin/nothing', headers: bearer(h.admin) }, 404, 'not_found');
    });
  });
});

describe('POST /v1/me/password', () => {
  async function withUser(overrides: Partial<AccountsRouteDeps> = {}): Promise<Harness & { t: string }> {
    const h = await harness(overrides);
    await h.w.seedUser({ user_id: 'u1', tenant_id: 'acme' }, PW);
    return Object.assign(h, { t: await h.token('acme', 'u1') });
  }
  const me = (t: string, body: unknown, headers: Record<string, string> = {}): FakeRequestInit => ({
    path: '/v1/me/password',
    headers: { ...bearer(t), ...headers },
    body: body as Record<string, unknown>,
  });

  it('changes the password: 204; the new one verifies, rehashed at the current version; audited with the user as actor', async () => {
    const h = await withUser();
    const res = await h.call(me(h.t, { current_password: PW, new_password: 'my new and longer passphrase' }));
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    const stored = await h.w.user('acme', 'u1');
    expect(await h.w.hasher.verify(stored?.password?.phc ?? '', 'my new and longer passphrase')).toBe(true);
    expect(stored?.password?.hash_version).toBe(h.w.hasher.version);
    expect(await h.w.audit()).toMatchObject([{ action: 'user.password_changed', actor: { type: 'user', id: 'u1' } }]);
    expect(h.logs.join('\n')).not.toContain('my new and longer passphrase');
  });

  // writes: the lockout reservation (1), and its reset when the current password was right (2).
  it.each([
    ['a wrong current password', { current_password: 'not my passphrase at all', new_password: 'my new and longer passphrase' }, 401, 'invalid_grant', 1],
    ['a short new password', { current_password: PW, new_password: 'short' }, 400, 'weak_password', 2],
    ['a new password over 1024 bytes', { current_password: PW, new_password: 'ü'.repeat(600) }, 400, 'weak_password', 2],
    ['a breached new password', { current_password: PW, new_password: 'correct horse battery staple' }, 400, 'breached_password', 2],
    ['an unknown field', { current_password: PW, new_password: 'my new and longer passphrase', user_id: 'u2' }, 400, 'invalid_request', 0],
    ['a missing field', { new_password: 'my new and longer passphrase' }, 400, 'invalid_request', 0],
    ['an empty current password', { current_password: '', new_password: 'my new and longer passphrase' }, 400, 'invalid_request', 0],
  ])('refuses %s, changing no password', async (_name, body, status, code, writes) => {
    const h = await withUser();
    const before = (await h.w.user('acme', 'u1'))?.password?.phc;
    await expectRefused(h, me(h.t, body), status, code, writes);
    expect((await h.w.user('acme', 'u1'))?.password?.phc).toBe(before);
  });

  it('refuses without a token, with the bootstrap credential, with a wrong content type', async () => {
    const h = await withUser();
    const r = await expectRefused(h, { path: '/v1/me/password', body: { current_password: PW, new_password: 'my new and longer passphrase' } }, 401, 'invalid_token');
    expect(r.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
    await expectRefused(h, { path: '/v1/me/password', headers: boot(h), body: { current_password: PW, new_password: 'my new and longer passphrase' } }, 401, 'invalid_token');
    await expectRefused(h, { path: '/v1/me/password', headers: { ...bearer(h.t), 'content-type': 'application/x-www-form-urlencoded' }, body: 'current_password=x' }, 415, 'unsupported_media_type');
  });

  describe('with the HIBP range adapter', () => {
    let hibp: HibpRangeServer;
    beforeAll(async () => {
      hibp = await startHibpRangeServer({ passwords: { 'correct horse battery staple': 3_000 }, paddingEntries: 20 });
    });
    afterAll(async () => {
      await hibp.close();
    });
    afterEach(() => {
      hibp.setMode('ok');
    });

    it('refuses a password the range API lists', async () => {
      const h = await withUser({ breachList: createHibpBreachList({ baseUrl: hibp.url, userAgent: 'test', log: createLogger({ service: 't', write: () => undefined }) }) });
      await expectRefused(h, me(h.t, { current_password: PW, new_password: 'correct horse battery staple' }), 400, 'breached_password', 2);
    });

    it('fails open when the provider is down: accepted, a warning logged, the failure counted, recorded in the audit', async () => {
      const lines: string[] = [];
      const list = createHibpBreachList({ baseUrl: hibp.url, userAgent: 'test', log: createLogger({ service: 't', write: (l) => lines.push(l) }) });
      const h = await withUser({ breachList: list });
      hibp.setMode('503');
      const res = await h.call(me(h.t, { current_password: PW, new_password: 'correct horse battery staple' }));
      expect(res.status).toBe(204);
      expect(list.metrics.snapshot()).toMatchObject({ fail_open: 1 });
      expect(lines.some((l) => l.includes('breach check failed open') && l.includes('WARNING'))).toBe(true);
      expect((await h.w.audit())[0]?.details).toMatchObject({ breach_check: 'unknown' });
    });
  });
});
