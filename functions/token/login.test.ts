/**
 * `POST /v1/login` through the token routes, on the in-memory stores (the
 * same repositories run on the Firestore emulator in login.e2e.test.ts).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/adapters/local/clock.ts';
import { createLocalKeyRing } from '../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../shared/adapters/local/local-key-ring-memory.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { LOCKOUTS } from '../../shared/adapters/store/lockout-repo.ts';
import { MFA_TOKENS } from '../../shared/adapters/store/mfa-token-repo.ts';
import { OUTBOX } from '../../shared/adapters/store/outbox-repo.ts';
import { REFRESH_TOKENS } from '../../shared/adapters/store/refresh-token-repo.ts';
import { SESSIONS } from '../../shared/adapters/store/session-repo.ts';
import { AUDIT } from '../../shared/adapters/store/audit-repo.ts';
import { IamError } from '../../shared/domain/errors.ts';
import type { KeyRing } from '../../shared/domain/ports.ts';
import { hashOpaqueToken } from '../../shared/domain/tokens/opaque-token.ts';
import { AUDIENCE, BAD_IP, ISSUER, loginBody, loginFixture, PASSWORD, withoutRequestId } from './testing/login-fixture.ts';

const schema = JSON.parse(readFileSync('contracts/claims/access-token.v1.schema.json', 'utf8')) as object;
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateClaims = ajv.compile(schema);

type F = ReturnType<typeof loginFixture>;

async function jwks(f: F): Promise<{ keys: JWK[] }> {
  const res = await f.post('/.well-known/jwks.json', '');
  expect(res.status).toBe(405); // POST on a GET route
  const { buildJwks } = await import('../../shared/domain/keys/build-jwks.ts');
  return (await buildJwks(f.keyRing)) as unknown as { keys: JWK[] };
}

describe('POST /v1/login: success', () => {
  it('answers the token body; the access token follows claims contract v1 and verifies against the JWKS', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    const alice = await f.addUser({ tenantId: 'acme', email: 'alice@example.com', roles: ['member', 'editor'] });
    const res = await f.post('/v1/login', loginBody('acme', '  Alice@EXAMPLE.com ', PASSWORD, { device_id: 'pixel-8' }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers?.['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^rt\.acme\.[A-Za-z0-9_-]{43}$/),
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const token = res.body['access_token'] as string;
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: (await f.keyRing.current()).kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks(f)), {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(f.clock.now()),
    });
    expect(validateClaims({ header, payload }), JSON.stringify(validateClaims.errors)).toBe(true);
    expect(payload).toMatchObject({
      sub: alice.user_id,
      tid: 'acme',
      roles: ['member', 'editor'],
      amr: ['pwd'],
      acr: 'urn:melmastoon:acr:pwd',
      sid: res.body['session_id'],
      ver: 1,
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.iat).toBe(Math.floor(f.clock.now() / 1000));
  });

  it('stores a new session family and the refresh token only as its hash, with session.created in the outbox and an audit event', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'me', { session: { idle_seconds: 3600, absolute_seconds: 86_400 } });
    const alice = await f.addUser({ tenantId: 'acme', region: 'me', email: 'alice@example.com' });
    const res = await f.post('/v1/login', loginBody('acme', 'alice@example.com'), { peer: '127.0.0.1', xff: '198.51.100.77,127.0.0.1' });
    expect(res.status).toBe(200);
    const sessionId = res.body['session_id'] as string;
    const refresh = res.body['refresh_token'] as string;
    const db = f.stores.databases.regions.me;
    const now = new Date(f.clock.now()).toISOString();
    expect(await db.get(SESSIONS, sessionId)).toEqual({
      session_id: sessionId,
      tenant_id: 'acme',
      user_id: alice.user_id,
      client_id: 'web-app',
      created_at: now,
      last_used_at: now,
      idle_expires_at: new Date(f.clock.now() + 3600_000).toISOString(),
      absolute_expires_at: new Date(f.clock.now() + 86_400_000).toISOString(),
      device: 'Firefox on Linux',
      device_id: null,
      ip: '198.51.100.0/24',
      amr: ['pwd'],
      acr: 'urn:melmastoon:acr:pwd',
      revoked_at: null,
      revoked_reason: null,
    });
    const hash = await hashOpaqueToken(refresh);
    expect(await db.get(REFRESH_TOKENS, hash)).toEqual({
      token_hash: hash,
      tenant_id: 'acme',
      session_id: sessionId,
      user_id: alice.user_id,
      client_id: 'web-app',
      status: 'active',
      parent: null,
      created_at: now,
      used_at: null,
    });
    const everything = JSON.stringify([await db.query(REFRESH_TOKENS, {}), await db.query(SESSIONS, {}), await db.query(OUTBOX, {}), await db.query(AUDIT, {})]);
    expect(everything).not.toContain(refresh.split('.')[2]);
    expect(everything).not.toContain('198.51.100.77');
    const outbox = await db.query(OUTBOX, {});
    expect(outbox.map((o) => o.data['type'])).toEqual(['iam.session.created.v1']);
    expect(outbox[0]?.data).toMatchObject({ tenant_id: 'acme', ordering_key: `user/${alice.user_id}`, data: { session_id: sessionId, user_id: alice.user_id, amr: ['pwd'] } });
    const audit = await db.query(AUDIT, {});
    expect(audit.map((a) => a.data)).toEqual([
      expect.objectContaining({ action: 'session.created', actor: { type: 'user', id: alice.user_id }, target: `session/${sessionId}`, event_id: outbox[0]?.id }),
    ]);
    expect((await f.user('acme', alice.user_id, 'me'))?.last_login_at).toBe(now);
    // nothing leaks to the other regions
    expect(await f.stores.databases.regions.eu.query(SESSIONS, {})).toEqual([]);
  });

  it('rehashes an outdated hash on login, and unwraps a wrapped one, keeping the password working', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    const old = createArgon2Hasher({ version: 1, params: { memoryKiB: 19_456, passes: 3, parallelism: 1 } });
    const oldPhc = await old.hash(PASSWORD);
    const plain = await f.addUser({ tenantId: 'acme', email: 'plain@example.com', phc: oldPhc });
    const wrapped = await f.addUser({ tenantId: 'acme', email: 'wrapped@example.com', phc: await f.argon2.wrap(await old.hash(PASSWORD)) });
    for (const u of [plain, wrapped]) {
      expect(f.argon2.needsRehash(u.password?.phc ?? '')).toBe(true);
      expect((await f.post('/v1/login', loginBody('acme', u.email))).status).toBe(200);
      const stored = await f.user('acme', u.user_id);
      expect(stored?.password?.phc).not.toBe(u.password?.phc);
      expect(stored?.password?.hash_version).toBe(2);
      expect(stored?.password?.changed_at).toBe(u.password?.changed_at);
      expect(f.argon2.needsRehash(stored?.password?.phc ?? '')).toBe(false);
      expect(stored?.password?.phc).not.toContain('keyid');
      expect((await f.post('/v1/login', loginBody('acme', u.email))).status).toBe(200);
    }
    const current = await f.addUser({ tenantId: 'acme', email: 'current@example.com' });
    await f.post('/v1/login', loginBody('acme', current.email));
    expect((await f.user('acme', current.user_id))?.password?.phc).toBe(current.password?.phc);
  });
});

describe('POST /v1/login: one answer for every bad credential', () => {
  it('unknown tenant, unknown user, wrong password, disabled user, no password, malformed email: same status, same body, one password check each', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    await f.addUser({ tenantId: 'acme', email: 'gone@example.com', status: 'disabled' });
    await f.addUser({ tenantId: 'acme', email: 'nopass@example.com', password: null });
    const attempts = [
      loginBody('nowhere', 'alice@example.com'),
      loginBody('acme', 'nobody@example.com'),
      loginBody('acme', 'alice@example.com', 'wrong password entirely'),
      loginBody('acme', 'gone@example.com'),
      loginBody('acme', 'nopass@example.com'),
      loginBody('acme', 'not-an-email'),
    ];
    const answers = [];
    for (const body of attempts) {
      const before = f.hasher.counts.verify + f.hasher.counts.dummyVerify;
      const res = await f.post('/v1/login', body);
      expect(f.hasher.counts.verify + f.hasher.counts.dummyVerify - before, JSON.stringify(body)).toBe(1);
      answers.push({ status: res.status, body: withoutRequestId(res.body), headers: res.headers });
    }
    expect(answers[0]).toEqual({
      status: 401,
      body: { error: 'invalid_grant', error_description: 'the credentials are not valid' },
      headers: { 'cache-control': 'no-store' },
    });
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(f.hasher.counts.hash).toBe(0);
  });

  it('every invalid_grant takes at least the refusal floor, so a wrapped hash (two Argon2id runs) is not told from an unknown email by latency', async () => {
    const f = loginFixture({ loginRefusalFloorMs: 150 });
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'plain@example.com' });
    await f.addUser({ tenantId: 'acme', email: 'dormant@example.com', phc: await f.argon2.wrap(await f.argon2.hash(PASSWORD)) });
    for (const body of [
      loginBody('acme', 'nobody@example.com'),
      loginBody('acme', 'plain@example.com', 'wrong password entirely'),
      loginBody('acme', 'dormant@example.com', 'wrong password entirely'),
    ]) {
      const t0 = performance.now();
      const res = await f.post('/v1/login', body);
      expect(res.status).toBe(401);
      expect(performance.now() - t0, body.email as string).toBeGreaterThanOrEqual(145);
    }
  });

  it('the refusal floor never delays a success', async () => {
    // A floor far above a login's cost: a padded success would take at least 3 s.
    const f = loginFixture({ loginRefusalFloorMs: 3000 });
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'plain@example.com' });
    const t0 = performance.now();
    expect((await f.post('/v1/login', loginBody('acme', 'plain@example.com'))).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe('POST /v1/login: lockout per (account, IP)', () => {
  it('locks at the threshold with 429 account_locked and Retry-After, even for the right password, per IP only', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { lockout: { threshold: 3, unlock_after_seconds: 600 } });
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const wrong = loginBody('acme', 'alice@example.com', 'nope nope nope');
    for (let i = 0; i < 3; i++) expect((await f.post('/v1/login', wrong)).body['error']).toBe('invalid_grant');
    const verifiesBefore = f.hasher.counts.verify;
    const locked = await f.post('/v1/login', loginBody('acme', 'alice@example.com'));
    expect(locked.status).toBe(429);
    expect(withoutRequestId(locked.body)).toEqual({
      error: 'account_locked',
      error_description: 'too many failed attempts; try again later or use a magic link',
      retry_after: 600,
    });
    expect(locked.headers?.['retry-after']).toBe('600');
    expect(f.hasher.counts.verify).toBe(verifiesBefore); // no password work while locked
    // another IP is not locked: an attacker elsewhere cannot lock the user out
    expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'), { peer: '192.0.2.50' })).status).toBe(200);
    f.clock.advance(300_000);
    const later = await f.post('/v1/login', wrong);
    expect(later.body['retry_after']).toBe(300);
    // auto-unlock after unlock_after_seconds
    f.clock.advance(300_000);
    expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'))).status).toBe(200);
  });

  it('an unknown email locks exactly like a known one (no enumeration through lockout)', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { lockout: { threshold: 2, unlock_after_seconds: 900 } });
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const seen = async (email: string) => {
      const out = [];
      for (let i = 0; i < 3; i++) {
        const r = await f.post('/v1/login', loginBody('acme', email, 'wrong wrong wrong'));
        out.push([r.status, withoutRequestId(r.body)]);
      }
      return out;
    };
    const known = await seen('alice@example.com');
    const unknown = await seen('mallory@example.com');
    expect(unknown).toEqual(known);
    expect(known.map(([s]) => s)).toEqual([401, 401, 429]);
  });

  it('a success resets the counter of that IP', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { lockout: { threshold: 3, unlock_after_seconds: 900 } });
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const wrong = loginBody('acme', 'alice@example.com', 'nope nope nope');
    await f.post('/v1/login', wrong);
    await f.post('/v1/login', wrong);
    expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'))).status).toBe(200);
    expect(await f.stores.databases.regions.eu.query(LOCKOUTS, {})).toEqual([]);
    for (let i = 0; i < 3; i++) expect((await f.post('/v1/login', wrong)).status).toBe(401);
    expect((await f.post('/v1/login', wrong)).status).toBe(429);
  });

  it('counts the client IP from X-Forwarded-For only through a trusted proxy; a spoofed header does not dodge the lock', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { lockout: { threshold: 2, unlock_after_seconds: 900 } });
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const wrong = loginBody('acme', 'alice@example.com', 'nope nope nope');
    // straight from 198.51.100.10, rotating a spoofed header each time
    for (const spoof of ['1.1.1.1', '2.2.2.2']) expect((await f.post('/v1/login', wrong, { xff: spoof })).status).toBe(401);
    expect((await f.post('/v1/login', wrong, { xff: '3.3.3.3' })).status).toBe(429);
    // through the trusted edge, two different clients count apart
    const a = { peer: '127.0.0.1', xff: '192.0.2.1,127.0.0.1' };
    const b = { peer: '127.0.0.1', xff: '192.0.2.2,127.0.0.1' };
    await f.post('/v1/login', wrong, a);
    await f.post('/v1/login', wrong, a);
    expect((await f.post('/v1/login', wrong, a)).status).toBe(429);
    expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'), b)).status).toBe(200);
  });

  it('refuses a bad-reputation IP with 403 access_denied before any password work, whatever the account', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const known = await f.post('/v1/login', loginBody('acme', 'alice@example.com'), { peer: BAD_IP });
    const unknown = await f.post('/v1/login', loginBody('nowhere', 'x@example.com'), { peer: '127.0.0.1', xff: `${BAD_IP},127.0.0.1` });
    expect(known.status).toBe(403);
    expect(withoutRequestId(known.body)).toEqual({ error: 'access_denied', error_description: 'requests from this network are refused' });
    expect(withoutRequestId(unknown.body)).toEqual(withoutRequestId(known.body));
    expect(f.hasher.counts).toEqual({ verify: 0, dummyVerify: 0, hash: 0 });
    expect(await f.stores.databases.regions.eu.query(LOCKOUTS, {})).toEqual([]);
  });
});

describe('POST /v1/login: MFA', () => {
  it('a user with a confirmed factor gets 401 mfa_required with a single-use mfa_token stored only as a hash, and no session', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    const bob = await f.addUser({ tenantId: 'acme', email: 'bob@example.com', mfa: ['totp', 'recovery_code'] });
    const res = await f.post('/v1/login', loginBody('acme', 'bob@example.com', PASSWORD, { device_id: 'laptop-1' }));
    expect(res.status).toBe(401);
    expect(withoutRequestId(res.body)).toEqual({
      error: 'mfa_required',
      error_description: 'a second factor is required',
      mfa_token: expect.stringMatching(/^mfa\.acme\.[A-Za-z0-9_-]{43}$/),
      methods: ['totp', 'recovery_code'],
    });
    const mfaToken = res.body['mfa_token'] as string;
    const db = f.stores.databases.regions.eu;
    const hash = await hashOpaqueToken(mfaToken);
    expect(await db.get(MFA_TOKENS, hash)).toEqual({
      token_hash: hash,
      tenant_id: 'acme',
      user_id: bob.user_id,
      client_id: 'web-app',
      device_id: 'laptop-1',
      amr: ['pwd'],
      methods: ['totp', 'recovery_code'],
      enrollment_required: false,
      breakglass: false,
      ip: '198.51.100.0/24',
      created_at: new Date(f.clock.now()).toISOString(),
      expires_at: new Date(f.clock.now() + 300_000).toISOString(),
    });
    expect(JSON.stringify(await db.query(MFA_TOKENS, {}))).not.toContain(mfaToken.split('.')[2]);
    expect(await db.query(SESSIONS, {})).toEqual([]);
    expect((await f.user('acme', bob.user_id))?.last_login_at).toBeNull();
    // the password step succeeded: the counter is reset
    expect(await db.query(LOCKOUTS, {})).toEqual([]);
  });

  it('a role the policy mandates MFA for, without factors: 403 mfa_enrollment_required with an enrollment token (totp, webauthn); WebAuthn-mandated roles: webauthn only', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { mfa: { required_for_roles: ['admin'], webauthn_required_for_roles: ['root'] } });
    await f.addUser({ tenantId: 'acme', email: 'admin@example.com', roles: ['admin'] });
    await f.addUser({ tenantId: 'acme', email: 'root@example.com', roles: ['root'], mfa: ['totp'] });
    await f.addUser({ tenantId: 'acme', email: 'member@example.com', roles: ['member'] });
    const admin = await f.post('/v1/login', loginBody('acme', 'admin@example.com'));
    expect(admin.status).toBe(403);
    expect(admin.body['error']).toBe('mfa_enrollment_required');
    expect(admin.body['methods']).toEqual(['totp', 'webauthn']);
    expect(typeof admin.body['enrollment_token']).toBe('string');
    expect(admin.body).not.toHaveProperty('access_token');
    const root = await f.post('/v1/login', loginBody('acme', 'root@example.com'));
    expect(root.body['error']).toBe('mfa_enrollment_required');
    expect(root.body['methods']).toEqual(['webauthn']);
    // no mfa_token nobody could pass, no session
    expect(await f.stores.databases.regions.eu.query(MFA_TOKENS, {})).toEqual([]);
    expect(await f.stores.databases.regions.eu.query(SESSIONS, {})).toEqual([]);
    expect((await f.post('/v1/login', loginBody('acme', 'member@example.com'))).status).toBe(200);
  });
});

describe('POST /v1/login: tenant SSO policy and break-glass', () => {
  it('sso.required refuses password login with 403 sso_required, for right and wrong passwords alike', async () => {
    const f = loginFixture();
    await f.seedTenant('corp', 'eu', { sso: { required: true } });
    await f.addUser({ tenantId: 'corp', email: 'carol@example.com' });
    await f.addUser({ tenantId: 'corp', email: 'admin@example.com', roles: ['platform_admin'] });
    const bodies = [];
    for (const body of [
      loginBody('corp', 'carol@example.com'),
      loginBody('corp', 'carol@example.com', 'wrong wrong wrong'),
      loginBody('corp', 'nobody@example.com'),
      loginBody('corp', 'admin@example.com', 'wrong wrong wrong'),
    ]) {
      const res = await f.post('/v1/login', body);
      expect(res.status).toBe(403);
      bodies.push(withoutRequestId(res.body));
    }
    expect(bodies[0]).toEqual({ error: 'sso_required', error_description: 'this tenant requires single sign-on' });
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    expect(await f.stores.databases.regions.eu.query(SESSIONS, {})).toEqual([]);
  });

  it('break-glass: a platform admin logs in with a password, audited with the admin as actor, iam.breakglass.used.v1 emitted, logged CRITICAL', async () => {
    const f = loginFixture();
    await f.seedTenant('corp', 'eu', { sso: { required: true } });
    const admin = await f.addUser({ tenantId: 'corp', email: 'admin@example.com', roles: ['platform_admin'] });
    const res = await f.post('/v1/login', loginBody('corp', 'admin@example.com'));
    expect(res.status).toBe(200);
    const db = f.stores.databases.regions.eu;
    const outbox = (await db.query(OUTBOX, {})).map((o) => o.data);
    const breakglass = outbox.find((o) => o['type'] === 'iam.breakglass.used.v1');
    expect(breakglass).toMatchObject({
      tenant_id: 'corp',
      subject: `user/${admin.user_id}`,
      data: { user_id: admin.user_id, session_id: res.body['session_id'], outcome: 'tokens', sso_fallback: 'none' },
    });
    const audit = (await db.query(AUDIT, {})).map((a) => a.data);
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'breakglass.used', actor: { type: 'user', id: admin.user_id }, event_id: breakglass?.['id'] }),
    );
    const loud = f.logs.filter((l) => l['severity'] === 'CRITICAL');
    expect(loud).toHaveLength(1);
    expect(loud[0]).toMatchObject({ message: expect.stringContaining('BREAK-GLASS'), user_id: admin.user_id, tenant_id: 'corp' });
  });

  it('fallback password: everyone logs in with a password, no break-glass; fallback magic_link: password refused except break-glass', async () => {
    const f = loginFixture();
    await f.seedTenant('soft', 'eu', { sso: { required: true, emergency_fallback: 'password' } });
    await f.seedTenant('links', 'eu', { sso: { required: true, emergency_fallback: 'magic_link' } });
    await f.addUser({ tenantId: 'soft', email: 'carol@example.com' });
    await f.addUser({ tenantId: 'soft', email: 'admin@example.com', roles: ['platform_admin'] });
    await f.addUser({ tenantId: 'links', email: 'dave@example.com' });
    await f.addUser({ tenantId: 'links', email: 'admin@example.com', roles: ['platform_admin'] });
    expect((await f.post('/v1/login', loginBody('soft', 'carol@example.com'))).status).toBe(200);
    expect((await f.post('/v1/login', loginBody('soft', 'admin@example.com'))).status).toBe(200);
    expect(f.logs.filter((l) => l['severity'] === 'CRITICAL')).toEqual([]);
    const dave = await f.post('/v1/login', loginBody('links', 'dave@example.com'));
    expect(dave.status).toBe(403);
    expect(withoutRequestId(dave.body)).toEqual({ error: 'sso_required', error_description: 'this tenant requires single sign-on; a magic link is the only fallback' });
    expect((await f.post('/v1/login', loginBody('links', 'admin@example.com'))).status).toBe(200);
    expect(f.logs.filter((l) => l['severity'] === 'CRITICAL')).toHaveLength(1);
  });

  it('break-glass for a platform admin with a factor: mfa_required, the event already emitted, the mfa_token marked', async () => {
    const f = loginFixture();
    await f.seedTenant('corp', 'eu', { sso: { required: true } });
    await f.addUser({ tenantId: 'corp', email: 'admin@example.com', roles: ['platform_admin'], mfa: ['webauthn'] });
    const res = await f.post('/v1/login', loginBody('corp', 'admin@example.com'));
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('mfa_required');
    const db = f.stores.databases.regions.eu;
    expect((await db.query(MFA_TOKENS, {}))[0]?.data['breakglass']).toBe(true);
    expect((await db.query(OUTBOX, {})).map((o) => [o.data['type'], (o.data['data'] as Record<string, unknown>)['outcome']])).toEqual([['iam.breakglass.used.v1', 'mfa_required']]);
  });
});

describe('POST /v1/login: signer outage', () => {
  it('answers 503 temporarily_unavailable with Retry-After and writes no session when no signer answers', async () => {
    const down: KeyRing = {
      current: () => Promise.reject(new IamError('temporarily_unavailable', 'kms down', { retryAfter: 5 })),
      published: () => Promise.resolve([]),
    };
    const f = loginFixture({ signingRing: down });
    await f.seedTenant('acme');
    const alice = await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const res = await f.post('/v1/login', loginBody('acme', 'alice@example.com'));
    expect(res.status).toBe(503);
    expect(res.headers?.['retry-after']).toBe('5');
    expect(withoutRequestId(res.body)).toEqual({ error: 'temporarily_unavailable', error_description: 'a dependency is unavailable, retry later' });
    const db = f.stores.databases.regions.eu;
    expect(await db.query(SESSIONS, {})).toEqual([]);
    expect(await db.query(REFRESH_TOKENS, {})).toEqual([]);
    expect(await db.query(OUTBOX, {})).toEqual([]);
    expect((await f.user('acme', alice.user_id))?.last_login_at).toBeNull();
  });
});

describe('POST /v1/login: signer outage and lockout', () => {
  it('never locks out a user whose right password meets an outage: the reserved attempt is given back', async () => {
    let signerDown = true;
    const up = createLocalKeyRing(memoryKeyStore(), { clock: systemClock });
    const flaky: KeyRing = {
      current: () => (signerDown ? Promise.reject(new IamError('temporarily_unavailable', 'kms down', { retryAfter: 1 })) : up.current()),
      published: () => up.published(),
    };
    const f = loginFixture({ signingRing: flaky });
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    // More retries than the lockout threshold (5) while the signer is down.
    for (let i = 0; i < 7; i++) expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'))).status).toBe(503);
    signerDown = false;
    const res = await f.post('/v1/login', loginBody('acme', 'alice@example.com'));
    expect(res.status).toBe(200);
    expect(typeof res.body['access_token']).toBe('string');
  });
});

describe('POST /v1/login: request shape', () => {
  it.each([
    ['an unknown field', { ...loginBody('acme', 'a@example.com'), scope: 'admin' }, 400, 'invalid_request'],
    ['a missing client_id', { tenant_id: 'acme', email: 'a@example.com', password: 'x' }, 400, 'invalid_request'],
    ['a client_id with spaces', loginBody('acme', 'a@example.com', 'x', { client_id: 'web app' }), 400, 'invalid_request'],
    ['a device_id with a colon', loginBody('acme', 'a@example.com', 'x', { device_id: 'a:b' }), 400, 'invalid_request'],
    ['a bad tenant id', loginBody('Acme!', 'a@example.com'), 400, 'invalid_request'],
    ['an empty password', loginBody('acme', 'a@example.com', ''), 400, 'invalid_request'],
    ['a password over 1024 bytes', loginBody('acme', 'a@example.com', 'é'.repeat(513)), 400, 'invalid_request'],
    ['malformed JSON', '{"tenant_id":', 400, 'invalid_json'],
  ])('%s: %i %s, and no password work', async (_what, body, status, code) => {
    const f = loginFixture();
    const res = await f.post('/v1/login', body);
    expect(res.status).toBe(status);
    expect(res.body['error']).toBe(code);
    expect(JSON.stringify(res.body)).not.toContain('é');
    expect(f.hasher.counts).toEqual({ verify: 0, dummyVerify: 0, hash: 0 });
  });

  it('a form body is 415', async () => {
    const f = loginFixture();
    const res = await f.post('/v1/login', 'tenant_id=acme', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
  });

  it('logs never carry the password, the tokens or the full client IP', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const ok = await f.post('/v1/login', loginBody('acme', 'alice@example.com'));
    await f.post('/v1/login', loginBody('acme', 'alice@example.com', 'wrong wrong wrong'));
    const text = JSON.stringify(f.logs);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('wrong wrong wrong');
    expect(text).not.toContain((ok.body['refresh_token'] as string).split('.')[2]);
    expect(text).not.toContain((ok.body['access_token'] as string).split('.')[2]);
    expect(text).not.toContain('198.51.100.10');
  });
});
