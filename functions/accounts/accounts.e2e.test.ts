/**
 * The `accounts` function as deployed: its index.ts under functions-framework,
 * Firestore on the emulator, the local key ring, the bootstrap secret from a
 * local secret directory, an offline breach list.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { ensureLocalSecret } from '../../shared/adapters/local/local-secret-source.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { seedTenant } from '../../shared/adapters/store/contracts/fixtures.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig, type Config } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { signJws } from '../../shared/domain/keys/sign-jws.ts';
import type { SessionFamily } from '../../shared/domain/sessions/session.ts';
import type { KeyRing } from '../../shared/domain/ports.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { freePort } from '../../scripts/stack/processes.ts';

const BREACHED = 'correct horse battery staple';
const PW = 'the first long passphrase';
const dir = mkdtempSync(path.join(tmpdir(), 'iam-accounts-e2e-'));
const breachFile = path.join(dir, 'pwned.txt');
writeFileSync(breachFile, `${createHash('sha1').update(BREACHED).digest('hex').toUpperCase()}:12\n`);
const env = testEnv(testProjectId('accounts'), {
  IAM_LOCAL_SECRETS_DIR: path.join(dir, 'secrets'),
  IAM_BREACH_LIST: 'offline',
  IAM_BREACH_LIST_PATH: breachFile,
  IAM_PASSWORD_HASH_VERSION: '1',
});
const config: Config = loadConfig(env);
let secret: string;
let fn: ChildProcess;
let base: string;
let stores: Stores;
let ring: KeyRing;

async function token(tenantId: string, userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJws(await ring.current(), { typ: 'at+jwt' }, {
    iss: config.issuer, sub: userId, aud: config.audience, exp: now + 900, iat: now, nbf: now, jti: `jti-${userId}-${now}-abcdef`,
    tid: tenantId, roles: [], amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', sid: `sid-${userId}`, ver: 1,
  });
}

async function post(p: string, headers: Record<string, string>, body: unknown, method = 'POST'): Promise<{ status: number; headers: Headers; body: Record<string, unknown> | undefined }> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

async function count(collection: string): Promise<number> {
  return (await stores.databases.regions.eu.query(collection, {})).length;
}

beforeAll(async () => {
  secret = readFileSync(ensureLocalSecret(path.join(dir, 'secrets'), config.bootstrapSecretName).file, 'utf8');
  stores = createFirestoreStores(config);
  await seedTenant(stores, 'acme', 'eu');
  await seedTenant(stores, 'globex', 'eu');
  ring = await openKeyRing(config);
  const hasher = createArgon2Hasher({ version: 1 });
  const seeded: User[] = [
    { user_id: 'adm-1', tenant_id: 'acme', email: 'adm@example.com', roles: ['tenant_admin'], status: 'active', password: null, mfa_methods: [], created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', created_by: { type: 'platform', id: 'bootstrap' }, last_login_at: null },
    { user_id: 'u-me', tenant_id: 'acme', email: 'me@example.com', roles: ['member'], status: 'active', password: { phc: await hasher.hash(PW), hash_version: 1, changed_at: '2026-01-01T00:00:00.000Z' }, mfa_methods: [], created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', created_by: { type: 'platform', id: 'bootstrap' }, last_login_at: null },
  ];
  for (const u of seeded) await stores.uow.run('eu', async (tx) => tx.users.create(u));
  // Live session families, as logins start them: the function checks the token's session.
  const at = (ms: number) => new Date(ms).toISOString();
  for (const u of seeded) {
    const family: SessionFamily = {
      session_id: `sid-${u.user_id}`, tenant_id: u.tenant_id, user_id: u.user_id, client_id: 'web', created_at: at(Date.now() - 60_000), last_used_at: at(Date.now() - 60_000),
      idle_expires_at: at(Date.now() + 86_400_000), absolute_expires_at: at(Date.now() + 7 * 86_400_000), device: 'e2e', device_id: null, ip: '127.0.0.0/24',
      amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', revoked_at: null, revoked_reason: null,
    };
    await stores.uow.run('eu', async (tx) => tx.sessions.create(family));
  }

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');
  fn = spawn(process.execPath, [main, '--target=accounts', '--source=functions/accounts/index.ts', `--port=${port}`, '--signature-type=http'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`${base}/v1/admin/tenants/acme/policy`).then((r) => r.status, () => 0);
    if (status !== 0) break;
    if (Date.now() > deadline) throw new Error('the accounts function did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
}, 60_000);

afterAll(async () => {
  if (fn !== undefined) {
    const exited = once(fn, 'exit');
    fn.kill('SIGTERM');
    await exited;
  }
  await terminateFirestoreClients();
  rmSync(dir, { recursive: true, force: true });
});

describe('the accounts function under functions-framework, on the emulator', () => {
  it('creates a user with the bootstrap credential: 201 {user_id}, stored with its outbox and audit rows', async () => {
    const res = await post('/v1/admin/tenants/acme/users', { authorization: `IamBootstrap ${secret}`, 'x-request-id': 'e2e-create-0001' }, { email: 'Zoe@Example.com', roles: ['member'], password: 'zoe has a long passphrase' });
    expect(res.status).toBe(201);
    const userId = res.body?.['user_id'] as string;
    expect(res.headers.get('x-request-id')).toBe('e2e-create-0001');
    const stored = await stores.uow.run('eu', (tx) => tx.users.get('acme', userId));
    expect(stored).toMatchObject({ email: 'zoe@example.com', roles: ['member'], password: { hash_version: 1 } });
    const outbox = await stores.databases.regions.eu.query('outbox', { where: [['subject', '==', `user/${userId}`]] });
    expect(outbox.map((r) => r.data['type'])).toEqual(['iam.user.created.v1']);
    const audit = await stores.databases.regions.eu.query('audit', { where: [['target', '==', `user/${userId}`]] });
    expect(audit.map((r) => [r.data['actor'], r.data['request_id']])).toEqual([[{ type: 'platform', id: 'bootstrap' }, 'e2e-create-0001']]);
  });

  it('refuses a wrong bootstrap secret: 401 invalid_token with WWW-Authenticate, nothing written', async () => {
    const users = await count('users');
    const res = await post('/v1/admin/tenants/acme/users', { authorization: `IamBootstrap ${secret}x` }, { email: 'eve@example.com', roles: ['platform_admin'] });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_token' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await count('users')).toBe(users);
  });

  it('refuses a tenant admin of acme on globex: 403 access_denied, nothing written', async () => {
    const users = await count('users');
    const res = await post('/v1/admin/tenants/globex/users', { authorization: `Bearer ${await token('acme', 'adm-1')}` }, { email: 'x@example.com', roles: [] });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'access_denied' });
    expect(await count('users')).toBe(users);
  });

  it('a token of a session that is not live: 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = await signJws(await ring.current(), { typ: 'at+jwt' }, {
      iss: config.issuer, sub: 'adm-1', aud: config.audience, exp: now + 900, iat: now, nbf: now, jti: `jti-ghost-${now}-abcdef`,
      tid: 'acme', roles: [], amr: ['pwd'], acr: 'urn:melmastoon:acr:pwd', sid: 'no-such-session', ver: 1,
    });
    const res = await post('/v1/admin/tenants/acme/users', { authorization: `Bearer ${t}` }, { email: 'x@example.com', roles: [] });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_token' });
  });

  it('malformed JSON through the framework: 400 invalid_json', async () => {
    const res = await post('/v1/admin/tenants/acme/users', { authorization: `IamBootstrap ${secret}` }, '{"email":');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_json' });
  });

  it('POST /v1/me/password: a breached password (offline list) is refused; a good one is stored', async () => {
    const t = await token('acme', 'u-me');
    const refused = await post('/v1/me/password', { authorization: `Bearer ${t}` }, { current_password: PW, new_password: BREACHED });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'breached_password' });
    const ok = await post('/v1/me/password', { authorization: `Bearer ${t}` }, { current_password: PW, new_password: 'the second long passphrase' });
    expect(ok.status).toBe(204);
    const stored = await stores.uow.run('eu', (tx) => tx.users.get('acme', 'u-me'));
    expect(await createArgon2Hasher({ version: 1 }).verify(stored?.password?.phc ?? '', 'the second long passphrase')).toBe(true);
  });
});
