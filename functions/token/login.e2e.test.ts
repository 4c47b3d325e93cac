/**
 * Acceptance (issue 3): the token function as Cloud Run runs it (a
 * functions-framework process configured by its environment) behind the
 * local edge, on the Firestore emulator. Clients connect from distinct
 * loopback addresses (127.0.0.2, .3, ...), so the edge sees distinct peers
 * and forwards them in X-Forwarded-For as the load balancer does.
 *
 * Needs the Debian packages python3-jwt and python3-cryptography (PyJWT).
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../scripts/stack/edge.ts';
import { startFunction, waitForAnswer } from '../../scripts/stack/functions.ts';
import { freePort, type Managed } from '../../scripts/stack/processes.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { fillPolicyDefaults, type Tenant } from '../../shared/domain/tenants/tenant.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';
const projectId = testProjectId('login');
let edge: Edge;
let fn: Managed;
let stores: Stores;
let issuer: string;
const output: string[] = [];
const hasher = createArgon2Hasher({ version: 1 });

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

/** POSTs JSON through the edge from the loopback address `from`. */
function post(target: string, body: unknown, from: string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(issuer);
  const payload = Buffer.from(JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: target,
        localAddress: from,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown>, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const login = (email: string, password: string, from: string, headers?: Record<string, string>) =>
  post('/v1/login', { tenant_id: 'acme', email, password, client_id: 'acceptance' }, from, headers);

const strip = (r: Reply) => {
  const { request_id: _ignored, ...rest } = r.body;
  return { status: r.status, body: rest };
};

async function addUser(email: string): Promise<User> {
  const now = new Date().toISOString();
  const user: User = {
    user_id: crypto.randomUUID(),
    tenant_id: 'acme',
    email,
    roles: ['member'],
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

beforeAll(async () => {
  const port = await freePort();
  edge = await startEdge({ httpPort: 0, upstream: (name) => (name === 'token' ? { host: '127.0.0.1', port } : undefined) });
  issuer = edge.httpUrl.replace(/\/$/, '');
  const env = testEnv(projectId, { IAM_ISSUER: issuer });
  fn = startFunction({ root: ROOT, name: 'token', port, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env }, onLine: (l) => output.push(l) });
  let dead = false;
  fn.child.once('exit', () => (dead = true));
  await waitForAnswer(`http://127.0.0.1:${port}/.well-known/jwks.json`, 30_000, () => dead);

  stores = createFirestoreStores(loadConfig(env));
  const policy = fillPolicyDefaults({ lockout: { threshold: 5, unlock_after_seconds: 900 } }, { publicOrigin: issuer });
  if (typeof policy === 'string') throw new Error(policy);
  const now = new Date().toISOString();
  await stores.directory.claim('acme', 'eu', now);
  const tenant: Tenant = { tenant_id: 'acme', region: 'eu', policy, version: 1, created_at: now, updated_at: now };
  await stores.uow.run('eu', async (tx) => tx.tenants.put(tenant));
}, 90_000);

afterAll(async () => {
  await fn?.stop();
  await edge?.close();
  await terminateFirestoreClients();
});

describe('acceptance: POST /v1/login through the edge on the emulator', () => {
  it('(d) a token from login verifies with PyJWT against /.well-known/jwks.json: typ at+jwt, ES256, exp - iat = 900', async () => {
    await addUser('alice@example.com');
    const res = await login('alice@example.com', PASSWORD, '127.0.0.5');
    expect(res.status, `${JSON.stringify(res.body)}\n${output.slice(-20).join('\n')}`).toBe(200);
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [
      path.join(import.meta.dirname, 'testing', 'verify_pyjwt.py'),
      `${issuer}/.well-known/jwks.json`,
      issuer,
      'melmastoon',
      res.body['access_token'] as string,
    ]);
    const verified = JSON.parse(stdout) as { header: Record<string, unknown>; claims: Record<string, number | string> };
    expect(verified.header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(Number(verified.claims['exp']) - Number(verified.claims['iat'])).toBe(900);
    expect(verified.claims).toMatchObject({ iss: issuer, tid: 'acme', sid: res.body['session_id'], ver: 1, amr: ['pwd'] });
    // PyJWT refuses a token whose signature was tampered with (the check can fail)
    const [h, p, s] = (res.body['access_token'] as string).split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    await expect(
      promisify(execFile)('/usr/bin/python3', [path.join(import.meta.dirname, 'testing', 'verify_pyjwt.py'), `${issuer}/.well-known/jwks.json`, issuer, 'melmastoon', flipped]),
    ).rejects.toThrow(/InvalidSignatureError|Signature verification failed/);
  }, 60_000);

  it('(a) 20 parallel wrong passwords from one IP: exactly `threshold` (5) are checked (invalid_grant), 15 are account_locked', async () => {
    await addUser('bob@example.com');
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => login('bob@example.com', 'wrong password!', '127.0.0.2')));
    const codes = answers.map((a) => a.body['error']);
    expect(codes.filter((c) => c === 'invalid_grant'), JSON.stringify(codes)).toHaveLength(5);
    expect(codes.filter((c) => c === 'account_locked')).toHaveLength(15);
    for (const a of answers.filter((x) => x.body['error'] === 'account_locked')) {
      expect(a.status).toBe(429);
      expect(Number(a.headers['retry-after'])).toBeGreaterThan(800);
      expect(a.body['retry_after']).toBe(Number(a.headers['retry-after']));
    }
    console.log(`20 parallel wrong passwords drained in ${Math.round(performance.now() - started)} ms`);
    // the right password from the same IP is locked out too
    expect((await login('bob@example.com', PASSWORD, '127.0.0.2')).status).toBe(429);
  }, 120_000);

  it('(b) a lockout from IP A does not lock IP B; a spoofed X-Forwarded-For from A does not escape it', async () => {
    // bob is locked from 127.0.0.2 by (a)
    const spoofed = await login('bob@example.com', PASSWORD, '127.0.0.2', { 'x-forwarded-for': '127.0.0.3' });
    expect(spoofed.status).toBe(429);
    const fromB = await login('bob@example.com', PASSWORD, '127.0.0.3');
    expect(fromB.status, JSON.stringify(fromB.body)).toBe(200);
  }, 60_000);

  it('(c) an unknown user and a wrong password return the same status and body', async () => {
    await addUser('carol@example.com');
    const wrong = await login('carol@example.com', 'not her password', '127.0.0.4');
    const unknown = await login('nobody@example.com', 'not her password', '127.0.0.4');
    const unknownTenant = await post('/v1/login', { tenant_id: 'nowhere', email: 'carol@example.com', password: 'x', client_id: 'acceptance' }, '127.0.0.4');
    expect(strip(wrong)).toEqual({ status: 401, body: { error: 'invalid_grant', error_description: 'the credentials are not valid' } });
    expect(strip(unknown)).toEqual(strip(wrong));
    expect(strip(unknownTenant)).toEqual(strip(wrong));
    expect(wrong.headers['content-type']).toBe(unknown.headers['content-type']);
    // Timing, for the report (the bench measures CPU properly): interleaved, median of 5, each from its own IP so none locks.
    const samples: Record<string, number[]> = { wrong: [], unknown: [] };
    for (let i = 0; i < 5; i++) {
      samples['wrong']?.push((await login('carol@example.com', 'not her password', `127.0.1.${i + 1}`)).ms);
      samples['unknown']?.push((await login('nobody@example.com', 'not her password', `127.0.2.${i + 1}`)).ms);
    }
    const median = (xs: number[] = []) => Math.round([...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0);
    console.log(`latency through the edge, median of 5: wrong password ${median(samples['wrong'])} ms, unknown user ${median(samples['unknown'])} ms`);
  }, 60_000);

  it('magic link through the edge: 202, and the redeemed link lifts the lock from every IP', async () => {
    const link = await post('/v1/magic-link', { tenant_id: 'acme', email: 'bob@example.com' }, '127.0.0.2');
    expect(link.status).toBe(202);
    const { lastMailTo } = await import('../../shared/adapters/local/dev-mailbox.ts');
    const mail = await lastMailTo(stores.databases.platform, 'bob@example.com');
    const token = decodeURIComponent(/#token=(\S+)/.exec(mail?.text ?? '')?.[1] ?? '');
    expect(mail?.text).toContain(`${issuer}/magic-link#token=`);
    const redeemed = await post('/v1/magic-link/redeem', { token }, '127.0.0.2');
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(200);
    expect((await login('bob@example.com', PASSWORD, '127.0.0.2')).status).toBe(200);
  }, 60_000);

  it('magic links are rate-limited per address: the 4th request in 15 minutes answers the same 202 but mails nothing', async () => {
    const dave = await addUser('dave@example.com');
    const { DEV_MAILBOX } = await import('../../shared/adapters/local/dev-mailbox.ts');
    const { MAGIC_LINKS } = await import('../../shared/adapters/store/magic-link-repo.ts');
    const mails = async () => (await stores.databases.platform.query(DEV_MAILBOX, { where: [['to', '==', 'dave@example.com']] })).length;
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const res = await post('/v1/magic-link', { tenant_id: 'acme', email: 'dave@example.com' }, '127.0.0.6');
      answers.push(strip(res));
      expect(await mails()).toBe(Math.min(i + 1, 3));
    }
    for (const a of answers) expect(a).toEqual({ status: 202, body: { status: 'accepted' } });
    expect(await stores.databases.regions.eu.query(MAGIC_LINKS, { where: [['user_id', '==', dave.user_id]] })).toHaveLength(3);
    const outcomes = output.filter((l) => l.includes('magic link requested') && l.includes('"tenant_id":"acme"')).map((l) => (JSON.parse(l) as { outcome: string }).outcome);
    expect(outcomes.slice(-4)).toEqual(['sent', 'sent', 'sent', 'throttled']);
  }, 60_000);
});
