/**
 * Acceptance (issue 4): the `refresh` function as Cloud Run runs it (a
 * functions-framework process configured by its environment, the risk engine
 * and the grace KEK from the local secret directory) on the Firestore
 * emulator. The family is seeded as a login writes it.
 *
 * - 20 parallel refreshes with ONE token inside the grace window all succeed
 *   with ONE successor, and no revocation follows (the successor works). They
 *   go to TWO instances (10 each), as a load balancer spreads them: each
 *   instance runs one rotation transaction for its identical requests, one
 *   of the two commits, and the other instance's requests get the same
 *   successor through the grace window.
 * - After the window, a reuse of the old token revokes the family and the
 *   newest token stops working.
 * - Forged and malformed requests get a 4xx with a code; RFC 7009 revocation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunction, waitForAnswer } from '../../scripts/stack/functions.ts';
import { freePort, type Managed } from '../../scripts/stack/processes.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { cryptoRandom } from '../../shared/adapters/local/clock.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import type { SessionFamily } from '../../shared/domain/sessions/session.ts';
import { prepareSession, writeSession } from '../../shared/domain/sessions/start-session.ts';
import { fillPolicyDefaults, type Tenant } from '../../shared/domain/tenants/tenant.ts';
import { hashOpaqueToken } from '../../shared/domain/tokens/opaque-token.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENT = 'acceptance';
const GRACE_SECONDS = 10;
const projectId = testProjectId('refresh');
const dir = mkdtempSync(path.join(tmpdir(), 'refresh-e2e-'));
let fns: Managed[] = [];
let stores: Stores;
let base: string;
let other: string;
const output: string[] = [];

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function post(target: string, body: string, contentType = 'application/x-www-form-urlencoded', to = base): Promise<Reply> {
  const res = await fetch(`${to}${target}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const refresh = (token: string, clientId = CLIENT, to = base) =>
  post('/v1/token', new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId }).toString(), 'application/x-www-form-urlencoded', to);

/** The JSON log lines of the functions with `message`. */
function logged(message: string): Record<string, unknown>[] {
  return output.flatMap((l) => {
    try {
      const j = JSON.parse(l) as Record<string, unknown>;
      return j['message'] === message ? [j] : [];
    } catch {
      return [];
    }
  });
}

async function family(sessionId: string): Promise<SessionFamily | undefined> {
  return stores.uow.run('eu', (tx) => tx.sessions.get('acme', sessionId));
}

async function startFamily(): Promise<{ readonly token: string; readonly sessionId: string; readonly user: User }> {
  const now = new Date().toISOString();
  const user: User = {
    user_id: crypto.randomUUID(),
    tenant_id: 'acme',
    email: `${crypto.randomUUID()}@example.com`,
    roles: ['member'],
    status: 'active',
    password: null,
    mfa_methods: [],
    created_at: now,
    updated_at: now,
    created_by: { type: 'admin', id: 'acceptance' },
    last_login_at: null,
  };
  const tenant = await stores.uow.run('eu', (tx) => tx.tenants.get('acme'));
  if (tenant === undefined) throw new Error('no tenant');
  const prepared = await prepareSession(
    { random: cryptoRandom },
    {
      tenantId: 'acme',
      userId: user.user_id,
      clientId: CLIENT,
      deviceId: null,
      userAgent: 'acceptance',
      maskedIp: '127.0.0.0/24',
      amr: ['pwd'],
      acr: 'urn:melmastoon:acr:pwd',
      policy: tenant.policy.session,
      nowMs: Date.now(),
      requestId: null,
    },
  );
  await stores.uow.run('eu', async (tx) => {
    tx.users.create(user);
    writeSession(tx, prepared);
  });
  return { token: prepared.refreshToken, sessionId: prepared.session.session_id, user };
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = testEnv(projectId, { IAM_ISSUER: base, IAM_LOCAL_SECRETS_DIR: path.join(dir, 'secrets') });
  stores = createFirestoreStores(loadConfig(env));
  const policy = fillPolicyDefaults({ session: { refresh_grace_seconds: GRACE_SECONDS } }, { publicOrigin: base });
  if (typeof policy === 'string') throw new Error(policy);
  const now = new Date().toISOString();
  await stores.directory.claim('acme', 'eu', now);
  const tenant: Tenant = { tenant_id: 'acme', region: 'eu', policy, version: 1, created_at: now, updated_at: now };
  await stores.uow.run('eu', async (tx) => tx.tenants.put(tenant));

  const port2 = await freePort();
  other = `http://127.0.0.1:${port2}`;
  for (const p of [port, port2]) {
    const fn = startFunction({ root: ROOT, name: 'refresh', port: p, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env }, onLine: (l) => output.push(l) });
    fns.push(fn);
    let dead = false;
    fn.child.once('exit', () => (dead = true));
    await waitForAnswer(`http://127.0.0.1:${p}/v1/token`, 30_000, () => dead);
  }
  // Warm both instances (key ring, Firestore client, risk engine) on a family of their own.
  for (const to of [base, other]) expect((await refresh((await startFamily()).token, CLIENT, to)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await Promise.all(fns.map((f) => f.stop()));
  fns = [];
  await terminateFirestoreClients();
  rmSync(dir, { recursive: true, force: true });
});

const countVia = (via: string): number => logged('refreshed').filter((l) => l['via'] === via).length;

describe('refresh function on the emulator', () => {
  it('20 parallel refreshes with one token inside the window: all 200 with ONE successor, no revocation, the successor works', async () => {
    const { token, sessionId, user } = await startFamily();
    const before = { rotated: countVia('rotated'), grace: countVia('grace') };
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(token, CLIENT, i % 2 === 0 ? base : other)));
    console.log(`20 parallel refreshes on 2 instances: ${Date.now() - started} ms`);
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    const successors = new Set(replies.map((r) => r.body['refresh_token']));
    expect(successors.size).toBe(1);
    const successor = String([...successors][0]);
    expect(successor).not.toBe(token);
    // One instance rotated, the other answered from the grace window.
    expect(countVia('rotated') - before.rotated).toBeGreaterThanOrEqual(1);
    expect(countVia('grace') - before.grace).toBeGreaterThanOrEqual(1);
    expect(countVia('rotated') - before.rotated + countVia('grace') - before.grace).toBe(20);
    for (const r of replies) expect(decodeJwt(String(r.body['access_token']))).toMatchObject({ sub: user.user_id, sid: sessionId, tid: 'acme' });

    // Stored: one rotation, one live successor, the family live; no reuse event.
    const parent = await stores.uow.run('eu', async (tx) => tx.refreshTokens.get('acme', await hashOpaqueToken(token)));
    expect(parent).toMatchObject({ status: 'rotated', successor: await hashOpaqueToken(successor) });
    expect(JSON.stringify(parent)).not.toContain(successor.slice(8));
    expect((await family(sessionId))?.revoked_at).toBeNull();
    const next = await refresh(successor);
    expect(next.status).toBe(200);
    expect(next.body['refresh_token']).not.toBe(successor);
    expect((await family(sessionId))?.revoked_at).toBeNull();
    const events = await stores.uow.run('eu', (tx) => tx.outbox.createdBetween('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'));
    expect(events.filter((e) => e.type === 'iam.session.reuse_detected.v1' && e.subject === `session/${sessionId}`)).toHaveLength(0);
  }, 60_000);

  it('after the window, a reuse of the old token revokes the family and the newest token stops working', async () => {
    const { token, sessionId } = await startFamily();
    const first = await refresh(token);
    expect(first.status).toBe(200);
    const newest = String(first.body['refresh_token']);
    await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 500));
    const reuse = await refresh(token);
    expect([reuse.status, reuse.body['error']]).toEqual([401, 'invalid_grant']);
    const after = await family(sessionId);
    expect(after?.revoked_reason).toBe('reuse_detected');
    const dead = await refresh(newest);
    expect([dead.status, dead.body['error']]).toEqual([401, 'invalid_grant']);
    const events = await stores.uow.run('eu', (tx) => tx.outbox.createdBetween('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'));
    expect(events.filter((e) => e.type === 'iam.session.reuse_detected.v1' && e.subject === `session/${sessionId}`)).toHaveLength(1);
    expect(output.some((l) => l.includes('refresh token reuse: family revoked'))).toBe(true);
    expect(output.join('\n')).not.toContain(newest);
  }, 60_000);

  it('forged and malformed requests: 4xx with a code; nothing consumed', async () => {
    const { token } = await startFamily();
    const t = encodeURIComponent(token);
    const cases: [string, string, number, string][] = [
      [`grant_type=password&username=a&password=b`, 'application/x-www-form-urlencoded', 400, 'unsupported_grant_type'],
      [`grant_type=refresh_token&refresh_token=${t}&refresh_token=${t}&client_id=${CLIENT}`, 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [`grant_type=refresh_token&refresh_token=${encodeURIComponent(`rt.acme.${'A'.repeat(43)}`)}&client_id=${CLIENT}`, 'application/x-www-form-urlencoded', 401, 'invalid_grant'],
      [`grant_type=refresh_token&refresh_token=${t}&client_id=evil-app`, 'application/x-www-form-urlencoded', 401, 'invalid_grant'],
      ['{"grant_type":"refresh_token",', 'application/json', 400, 'invalid_json'],
      [JSON.stringify({ grant_type: 'refresh_token', refresh_token: token }), 'application/json', 400, 'invalid_request'],
      ['grant_type=refresh_token', 'text/plain', 415, 'unsupported_media_type'],
    ];
    for (const [body, type, status, code] of cases) {
      const r = await post('/v1/token', body, type);
      expect([body.slice(0, 40), r.status, r.body['error']]).toEqual([body.slice(0, 40), status, code]);
    }
    expect((await refresh(token)).status).toBe(200);
  }, 60_000);

  it('POST /v1/revoke revokes the family at once; unknown tokens get 200 too', async () => {
    const { token, sessionId } = await startFamily();
    const unknown = await post('/v1/revoke', `token=${encodeURIComponent(`rt.acme.${'B'.repeat(43)}`)}&client_id=${CLIENT}`);
    expect([unknown.status, unknown.body]).toEqual([200, {}]);
    const r = await post('/v1/revoke', JSON.stringify({ token, token_type_hint: 'refresh_token', client_id: CLIENT }), 'application/json');
    expect(r.status).toBe(200);
    expect((await family(sessionId))?.revoked_reason).toBe('token_revoked');
    expect((await refresh(token)).status).toBe(401);
    expect((await post('/v1/revoke', `client_id=${CLIENT}`)).status).toBe(400);
  }, 60_000);
});
