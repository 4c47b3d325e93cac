/**
 * `iamctl user create|roles|unlock|disable` as an operator runs them: the real
 * CLI process, through the local edge's URL map to the accounts function under
 * functions-framework, with the bootstrap credential from a local secret
 * directory, Firestore on the emulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { ensureLocalSecret, localAccountsEnv } from '../../shared/adapters/local/local-secret-source.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { seedTenant } from '../../shared/adapters/store/contracts/fixtures.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import { lockoutKey } from '../../shared/domain/login/lockout.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { startEdge, type Edge } from '../stack/edge.ts';
import { freePort } from '../stack/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const projectId = testProjectId('iamctl-user');
const state = mkdtempSync(path.join(tmpdir(), 'iam-iamctl-user-'));
const accountsEnv = localAccountsEnv(ROOT, state);
const env = testEnv(projectId, accountsEnv);
let fn: ChildProcess;
let edge: Edge;
let stores: Stores;

interface Run {
  readonly code: number | null;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly json: Record<string, unknown> | undefined;
}

/** Runs the real iamctl, aimed at this file's edge and project, optionally writing `stdin`. */
async function iamctl(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'iamctl.ts'), ...args], {
    env: {
      ...process.env,
      GOOGLE_CLOUD_PROJECT: projectId,
      IAM_ISSUER: edge.httpUrl,
      IAM_LOCAL_SECRETS_DIR: accountsEnv['IAM_LOCAL_SECRETS_DIR'],
      IAMCTL_STACK_FILE: '/nonexistent',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.stdin ?? '');
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const [code] = (await once(child, 'close')) as [number | null];
  const stdout = out.split('\n').filter((l) => l !== '');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(stdout.at(-1) ?? '') as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr: err.split('\n').filter((l) => l !== ''), json };
}

beforeAll(async () => {
  stores = createFirestoreStores(loadConfig(env));
  await seedTenant(stores, 'acme', 'eu');
  const port = await freePort();
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');
  fn = spawn(process.execPath, [main, '--target=accounts', '--source=functions/accounts/index.ts', `--port=${port}`, '--signature-type=http'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  while ((await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status, () => 0)) === 0) {
    if (Date.now() > deadline) throw new Error('the accounts function did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  edge = await startEdge({ httpPort: 0, upstream: (name) => (name === 'accounts' ? { host: '127.0.0.1', port } : undefined) });
}, 60_000);

afterAll(async () => {
  await edge?.close();
  if (fn !== undefined) {
    const exited = once(fn, 'exit');
    fn.kill('SIGTERM');
    await exited;
  }
  await terminateFirestoreClients();
  rmSync(state, { recursive: true, force: true });
});

const read = (userId: string) => stores.uow.run('eu', (tx) => tx.users.get('acme', userId));

describe('iamctl user commands through the edge', () => {
  let userId: string;

  it('user create --password-stdin --json: the last stdout line is {"user_id": ...}; the password is stored hashed', async () => {
    const run = await iamctl(['user', 'create', '--tenant', 'acme', '--email', 'Grace@Example.com', '--roles', 'member,billing', '--password-stdin', '--json'], {
      stdin: 'grace has a long passphrase\n',
    });
    expect(run.code, run.stderr.join('\n')).toBe(0);
    expect(Object.keys(run.json ?? {})).toEqual(['user_id']);
    userId = String(run.json?.['user_id']);
    const stored = await read(userId);
    expect(stored).toMatchObject({ email: 'grace@example.com', roles: ['member', 'billing'], created_by: { type: 'platform', id: 'bootstrap' } });
    // The trailing newline of stdin is not part of the password.
    expect(await createArgon2Hasher({ version: 1 }).verify(stored?.password?.phc ?? '', 'grace has a long passphrase')).toBe(true);
  });

  it('user create without --json prints one line for a person; without a password none is set', async () => {
    const run = await iamctl(['user', 'create', '--tenant', 'acme', '--email', 'heidi@example.com', '--roles', '']);
    expect(run.code).toBe(0);
    expect(run.stdout).toHaveLength(1);
    expect(run.stdout[0]).toMatch(/^user [\w-]+ created in tenant acme with roles \[\] \(no password\)$/);
  });

  it('user roles, user unlock (clears every counter of the account), user disable', async () => {
    const roles = await iamctl(['user', 'roles', '--tenant', 'acme', '--user', userId, '--roles', 'member', '--json']);
    expect(roles.code).toBe(0);
    expect(roles.json).toEqual({ user_id: userId, roles: ['member'], changed: true });

    for (const ip of ['203.0.113.1', '198.51.100.2']) {
      const key = await lockoutKey('acme', 'grace@example.com', ip);
      await stores.uow.run('eu', async (tx) => tx.lockouts.put({ ...key, failures: 5, window_started_at: new Date().toISOString(), updated_at: new Date().toISOString(), locked_until: new Date(Date.now() + 900_000).toISOString() }));
    }
    const unlock = await iamctl(['user', 'unlock', '--tenant', 'acme', '--user', userId, '--json']);
    expect(unlock.code).toBe(0);
    expect(unlock.json).toEqual({ user_id: userId, cleared_counters: 2 });
    expect(await stores.databases.regions.eu.query('lockouts', { where: [['tenant_id', '==', 'acme']] })).toEqual([]);

    const disable = await iamctl(['user', 'disable', '--tenant', 'acme', '--user', userId, '--json']);
    expect(disable.code).toBe(0);
    expect(disable.json).toEqual({ user_id: userId, status: 'disabled', changed: true, revoked_sessions: 0 });
    expect((await read(userId))?.status).toBe('disabled');
    const audit = await stores.databases.regions.eu.query('audit', { where: [['target', '==', `user/${userId}`]] });
    expect(audit.map((a) => a.data['action']).sort()).toEqual(['user.created', 'user.disabled', 'user.roles_changed', 'user.unlocked']);
    expect(audit.every((a) => JSON.stringify(a.data['actor']) === JSON.stringify({ type: 'platform', id: 'bootstrap' }))).toBe(true);
  });

  describe('failures: one line on stderr, exit code, the --json error object', () => {
    it('a duplicate email: conflict, exit 1', async () => {
      const run = await iamctl(['user', 'create', '--tenant', 'acme', '--email', 'grace@example.com', '--roles', 'member', '--json']);
      expect(run.code).toBe(1);
      expect(run.json).toMatchObject({ error: 'conflict' });
      expect(run.stderr).toEqual([expect.stringMatching(/^iamctl: error: a user with this email already exists in the tenant \(409 conflict\)$/)]);
    });

    it('a breached password from stdin: breached_password; an empty stdin: usage error', async () => {
      const breached = await iamctl(['user', 'create', '--tenant', 'acme', '--email', 'ivan@example.com', '--roles', 'member', '--password-stdin', '--json'], { stdin: 'correct horse battery staple' });
      expect(breached.code).toBe(1);
      expect(breached.json).toMatchObject({ error: 'breached_password' });
      const empty = await iamctl(['user', 'create', '--tenant', 'acme', '--email', 'ivan@example.com', '--roles', 'member', '--password-stdin', '--json']);
      expect(empty.code).toBe(2);
      expect(empty.json).toMatchObject({ error: 'invalid_arguments' });
    });

    it('a wrong bootstrap secret: invalid_token, exit 1, nothing created', async () => {
      const other = mkdtempSync(path.join(state, 'other-'));
      ensureLocalSecret(other, 'iam-bootstrap-admin');
      const run = await iamctl(['user', 'create', '--tenant', 'acme', '--email', 'judy@example.com', '--roles', 'member', '--json'], { env: { IAM_LOCAL_SECRETS_DIR: other } });
      expect(run.code).toBe(1);
      expect(run.json).toMatchObject({ error: 'invalid_token' });
      expect(await stores.databases.regions.eu.query('users', { where: [['email', '==', 'judy@example.com']] })).toEqual([]);
    });

    it('a missing secret, an unreachable API, an unknown user, a bad flag', async () => {
      const missing = await iamctl(['user', 'unlock', '--tenant', 'acme', '--user', 'u1', '--json'], { env: { IAM_LOCAL_SECRETS_DIR: path.join(state, 'none') } });
      expect(missing.json).toMatchObject({ error: 'bootstrap_secret_unavailable' });
      const closed = await freePort();
      const unreachable = await iamctl(['user', 'unlock', '--tenant', 'acme', '--user', 'u1', '--json'], { env: { IAM_ISSUER: `http://127.0.0.1:${closed}` } });
      expect(unreachable.code).toBe(1);
      expect(unreachable.json).toMatchObject({ error: 'stack_unreachable' });
      const unknown = await iamctl(['user', 'disable', '--tenant', 'acme', '--user', 'nobody', '--json']);
      expect(unknown.code).toBe(1);
      expect(unknown.json).toMatchObject({ error: 'not_found' });
      const bad = await iamctl(['user', 'roles', '--tenant', 'acme', '--user', 'a/b', '--roles', 'x']);
      expect(bad.code).toBe(2);
    });
  });
});
