/**
 * Acceptance (issue 5): the `token` and `mfa-verify` functions as Cloud Run
 * runs them (functions-framework processes configured by their environment)
 * behind the local edge, on the Firestore emulator, with the MFA secrets in
 * a local secrets directory (`ensureLocalMfaSecrets`). Codes come from
 * Debian's `oathtool` (`.ci/run` installs it; a missing one fails).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../scripts/stack/edge.ts';
import { startFunction, waitForAnswer } from '../../scripts/stack/functions.ts';
import { freePort, type Managed } from '../../scripts/stack/processes.ts';
import { ensureLocalMfaSecrets } from '../../shared/adapters/crypto/mfa-secrets.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { fillPolicyDefaults, type Tenant } from '../../shared/domain/tenants/tenant.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';
const projectId = testProjectId('mfa');
const secretsDir = mkdtempSync(path.join(os.tmpdir(), 'iam-mfa-secrets-'));
const run = promisify(execFile);
let edge: Edge;
const fns: Managed[] = [];
let stores: Stores;
let issuer: string;
const output: string[] = [];
const hasher = createArgon2Hasher({ version: 1 });

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** POSTs JSON through the edge. */
function post(target: string, body: unknown, bearer?: string): Promise<Reply> {
  const url = new URL(issuer);
  const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: target,
        agent: false,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          'content-length': String(payload.length),
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** `oathtool --totp -b SECRET`, at `atMs` (default now). */
async function oathtool(secret: string, atMs = Date.now()): Promise<string> {
  const { stdout } = await run('oathtool', ['--totp', '-b', `--now=@${Math.floor(atMs / 1000)}`, secret]);
  return stdout.trim();
}

const login = (email: string) => post('/v1/login', { tenant_id: 'acme', email, password: PASSWORD, client_id: 'acceptance' });

async function addUser(email: string, roles: readonly string[] = ['member']): Promise<User> {
  const now = new Date().toISOString();
  const user: User = {
    user_id: crypto.randomUUID(),
    tenant_id: 'acme',
    email,
    roles: [...roles],
    status: 'active',
    password: { phc: await hasher.hash(PASSWORD), hash_version: hasher.version, changed_at: now },
    mfa_methods: [],
    created_at: now,
    updated_at: now,
    created_by: { type: 'admin', id: 'acceptance' },
    last_login_at: null,
  };
  await stores.uow.run('eu', async (tx) => tx.users.create(user));
  return user;
}

const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  ensureLocalMfaSecrets(secretsDir);
  const ports = { token: await freePort(), 'mfa-verify': await freePort() } as Record<string, number>;
  edge = await startEdge({ httpPort: 0, upstream: (name) => (ports[name] === undefined ? undefined : { host: '127.0.0.1', port: ports[name] }) });
  issuer = edge.httpUrl.replace(/\/$/, '');
  const env = testEnv(projectId, { IAM_ISSUER: issuer, IAM_LOCAL_SECRETS_DIR: secretsDir });
  for (const name of ['token', 'mfa-verify']) {
    const fn = startFunction({
      root: ROOT,
      name,
      port: ports[name] ?? 0,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
      onLine: (l) => output.push(`${name}: ${l}`),
    });
    fns.push(fn);
    let dead = false;
    fn.child.once('exit', () => (dead = true));
    await waitForAnswer(`http://127.0.0.1:${ports[name]}/`, 60_000, () => dead);
  }
  stores = createFirestoreStores(loadConfig(env));
  const policy = fillPolicyDefaults({ mfa: { required_for_roles: ['admin'] } }, { publicOrigin: issuer });
  if (typeof policy === 'string') throw new Error(policy);
  const now = new Date().toISOString();
  await stores.directory.claim('acme', 'eu', now);
  const tenant: Tenant = { tenant_id: 'acme', region: 'eu', policy, version: 1, created_at: now, updated_at: now };
  await stores.uow.run('eu', async (tx) => tx.tenants.put(tenant));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(fns.map((f) => f.stop()));
  await edge?.close();
  await terminateFirestoreClients();
  rmSync(secretsDir, { recursive: true, force: true });
});

describe('acceptance: TOTP MFA through the edge on the emulator', () => {
  it('an oathtool code for the enrolled secret completes a login (amr pwd+otp); the same code again is refused; a recovery code logs in with rec', async () => {
    await addUser('alice@example.com');
    const first = await login('alice@example.com');
    expect(first.status, `${JSON.stringify(first.body)}\n${output.slice(-20).join('\n')}`).toBe(200);
    const enrolled = await post('/v1/mfa/totp/enroll', undefined, first.body['access_token'] as string);
    expect(enrolled.status, `${JSON.stringify(enrolled.body)}\n${output.slice(-20).join('\n')}`).toBe(200);
    const secret = enrolled.body['secret'] as string;
    const t0 = Date.now();
    const confirmed = await post('/v1/mfa/totp/confirm', { code: await oathtool(secret, t0) }, first.body['access_token'] as string);
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);

    // the confirming step is spent: log in with the next step's code (the server accepts T+1)
    const code = await oathtool(secret, t0 + 30_000);
    const challenged = await login('alice@example.com');
    expect(challenged.status).toBe(401);
    expect(challenged.body).toMatchObject({ error: 'mfa_required', methods: ['totp'] });
    const done = await post('/v1/mfa/verify', { mfa_token: challenged.body['mfa_token'], method: 'totp', code });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(claimsOf(done.body['access_token'] as string)).toMatchObject({ amr: ['pwd', 'otp'], acr: 'urn:melmastoon:acr:mfa', tid: 'acme' });

    // the same mfa_token again, and the same code with a new mfa_token: both refused
    expect((await post('/v1/mfa/verify', { mfa_token: challenged.body['mfa_token'], method: 'totp', code })).body['error']).toBe('invalid_grant');
    const again = await login('alice@example.com');
    const replay = await post('/v1/mfa/verify', { mfa_token: again.body['mfa_token'], method: 'totp', code });
    expect({ status: replay.status, error: replay.body['error'] }).toEqual({ status: 401, error: 'invalid_grant' });
    // bad formats are 400, not counted
    expect((await post('/v1/mfa/verify', { mfa_token: again.body['mfa_token'], method: 'totp', code: '12345' })).status).toBe(400);
    expect((await post('/v1/mfa/verify', { mfa_token: again.body['mfa_token'], method: 'push' })).status).toBe(400);

    // recovery codes with the fresh MFA token, then a login with one
    const codes = await post('/v1/mfa/recovery-codes', undefined, done.body['access_token'] as string);
    expect(codes.status, JSON.stringify(codes.body)).toBe(200);
    const list = codes.body['codes'] as string[];
    expect(list).toHaveLength(10);
    // the methods are those the login offered: a token from before the codes existed does not take one
    expect((await post('/v1/mfa/verify', { mfa_token: again.body['mfa_token'], method: 'recovery_code', recovery_code: list[3] })).status).toBe(403);
    const offered = await login('alice@example.com');
    expect(offered.body['methods']).toEqual(['totp', 'recovery_code']);
    const rec = await post('/v1/mfa/verify', { mfa_token: offered.body['mfa_token'], method: 'recovery_code', recovery_code: list[3] });
    expect(rec.status, JSON.stringify(rec.body)).toBe(200);
    expect(claimsOf(rec.body['access_token'] as string)).toMatchObject({ amr: ['pwd', 'rec'] });
  }, 90_000);

  it('a mandated role without a factor gets 403 mfa_enrollment_required; the enrollment token enrols TOTP, is refused for recovery codes, and the next login finishes with the factor', async () => {
    await addUser('admin@example.com', ['admin']);
    const r = await login('admin@example.com');
    expect({ status: r.status, error: r.body['error'] }).toEqual({ status: 403, error: 'mfa_enrollment_required' });
    const enrollment = r.body['enrollment_token'] as string;
    expect((await post('/v1/mfa/recovery-codes', undefined, enrollment)).status).toBe(401);
    const enrolled = await post('/v1/mfa/totp/enroll', undefined, enrollment);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    const secret = enrolled.body['secret'] as string;
    const t0 = Date.now();
    expect((await post('/v1/mfa/totp/confirm', { code: await oathtool(secret, t0) }, enrollment)).status).toBe(200);
    const challenged = await login('admin@example.com');
    expect(challenged.body['error']).toBe('mfa_required');
    const done = await post('/v1/mfa/verify', { mfa_token: challenged.body['mfa_token'], method: 'totp', code: await oathtool(secret, t0 + 30_000) });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(claimsOf(done.body['access_token'] as string)).toMatchObject({ roles: ['admin'], amr: ['pwd', 'otp'] });
  }, 90_000);
});
