/**
 * Acceptance (issue 4) through the `refresh` function as Cloud Run runs it (a
 * functions-framework process on the Firestore emulator, local signer):
 * access tokens come from the function's own `POST /v1/token`, then
 *
 * - `GET /v1/sessions` lists the live families; `DELETE` of one makes its
 *   refresh token fail at once and its access token refused; `revoke-others`
 *   leaves the current one working;
 * - a user never sees or revokes another user's or tenant's sessions;
 * - forged Bearer tokens get 401 `invalid_token`: alg `none`, HS256 signed
 *   with the public key, a wrong `typ`, expired, another issuer, an unknown
 *   kid, a tampered payload.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunction, waitForAnswer } from '../../scripts/stack/functions.ts';
import { freePort, type Managed } from '../../scripts/stack/processes.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { createLocalKeyRing } from '../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../shared/adapters/local/local-key-ring-memory.ts';
import { systemClock } from '../../shared/adapters/local/clock.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig, type Config } from '../../shared/config.ts';
import { base64urlEncodeText } from '../../shared/domain/keys/base64url.ts';
import { signJws } from '../../shared/domain/keys/sign-jws.ts';
import type { KeyRing } from '../../shared/domain/ports.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { seedFamilies, sessionsWorld } from '../../shared/testing/sessions-world.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const projectId = testProjectId('sessions');
const dir = mkdtempSync(path.join(tmpdir(), 'sessions-e2e-'));
let fn: Managed | undefined;
let stores: Stores;
let base: string;
let config: Config;
let ring: KeyRing;
let userSeq = 0;

interface Login {
  readonly sessionId: string;
  readonly userId: string;
  refreshToken: string;
  accessToken: string;
}

async function call(method: string, target: string, token: string | undefined, body?: string): Promise<{ status: number; body: Record<string, unknown> | undefined; headers: Headers }> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${base}${target}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>), headers: res.headers };
}

const refresh = (rt: string) => call('POST', '/v1/token', undefined, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'web' }).toString());

/** A family as a login writes it, then tokens from the function's own refresh grant. */
async function login(tenantId: string, region: 'eu' | 'me' = 'eu'): Promise<Login> {
  const [seeded] = await seedFamilies(stores, { tenantId, region, count: 1, users: 1, nowMs: Date.now(), userPrefix: `${tenantId}-user-${userSeq++}-` });
  if (seeded === undefined) throw new Error('not seeded');
  const r = await refresh(seeded.refreshToken);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { sessionId: seeded.sessionId, userId: seeded.userId, refreshToken: String(r.body?.['refresh_token']), accessToken: String(r.body?.['access_token']) };
}

const ids = (body: Record<string, unknown> | undefined) => (body?.['sessions'] as { session_id: string }[]).map((s) => s.session_id);

async function expect401(send: () => ReturnType<typeof call>): Promise<void> {
  const r = await send();
  expect(r.status, JSON.stringify(r.body)).toBe(401);
  expect(r.body).toMatchObject({ error: 'invalid_token' });
  expect(r.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = testEnv(projectId, { IAM_ISSUER: base, IAM_LOCAL_SECRETS_DIR: path.join(dir, 'secrets') });
  config = loadConfig(env);
  stores = createFirestoreStores(config);
  await sessionsWorld(stores);
  ring = await openKeyRing(config);
  fn = startFunction({ root: ROOT, name: 'refresh', port, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env } });
  let dead = false;
  fn.child.once('exit', () => (dead = true));
  await waitForAnswer(`${base}/v1/sessions`, 30_000, () => dead);
}, 120_000);

afterAll(async () => {
  await fn?.stop();
  await terminateFirestoreClients();
  rmSync(dir, { recursive: true, force: true });
});

describe('self-service sessions through the refresh function (emulator)', () => {
  it("lists the caller's live session, marked current, never cached", async () => {
    const a = await login('acme');
    const first = await call('GET', '/v1/sessions', a.accessToken);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toEqual({ sessions: [expect.objectContaining({ session_id: a.sessionId, current: true, ip: '203.0.113.0/24' })] });
  }, 60_000);

  it('DELETE makes the refresh token fail at once; revoke-others leaves the current session working', async () => {
    const a = await login('acme');
    const userId = a.userId;
    // Two more logins of the same user, with tokens of their own.
    const more: Login[] = [];
    for (let i = 0; i < 2; i++) {
      const [s] = await seedFamilies(stores, { tenantId: 'acme', region: 'eu', count: 1, users: 1, nowMs: Date.now(), existingUser: userId });
      if (s === undefined) throw new Error('not seeded');
      const r = await refresh(s.refreshToken);
      more.push({ sessionId: s.sessionId, userId, refreshToken: String(r.body?.['refresh_token']), accessToken: String(r.body?.['access_token']) });
    }
    const [b, c] = more as [Login, Login];
    expect(new Set(ids((await call('GET', '/v1/sessions', a.accessToken)).body))).toEqual(new Set([a.sessionId, b.sessionId, c.sessionId]));

    const del = await call('DELETE', `/v1/sessions/${b.sessionId}`, a.accessToken);
    expect(del.status).toBe(204);
    const refused = await refresh(b.refreshToken);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body).toMatchObject({ error: 'invalid_grant' });
    await expect401(() => call('GET', '/v1/sessions', b.accessToken));

    const others = await call('POST', '/v1/sessions/revoke-others', a.accessToken);
    expect(others.status).toBe(200);
    expect(others.body).toEqual({ revoked: 1 });
    expect((await refresh(c.refreshToken)).body).toMatchObject({ error: 'invalid_grant' });
    const next = await refresh(a.refreshToken);
    expect(next.status).toBe(200);
    expect(ids((await call('GET', '/v1/sessions', String(next.body?.['access_token']))).body)).toEqual([a.sessionId]);
  }, 60_000);

  it("a user never sees or revokes another user's or another tenant's sessions", async () => {
    const alice = await login('acme');
    const bob = await login('acme');
    const gina = await login('globex');
    const uma = await login('umbrella', 'me');
    for (const who of [alice, bob, gina, uma]) expect(ids((await call('GET', '/v1/sessions', who.accessToken)).body)).toEqual([who.sessionId]);
    const unknown = await call('DELETE', '/v1/sessions/6f1c1a52-0000-4000-8000-000000000000', alice.accessToken);
    expect(unknown.status).toBe(404);
    for (const [caller, victim] of [
      [alice, bob],
      [alice, gina],
      [alice, uma],
      [gina, alice],
      [uma, alice],
    ] as const) {
      const r = await call('DELETE', `/v1/sessions/${victim.sessionId}`, caller.accessToken);
      expect(r.status).toBe(404);
      expect({ ...r.body, request_id: null }).toEqual({ ...unknown.body, request_id: null });
    }
    for (const who of [alice, bob, gina, uma]) expect((await refresh(who.refreshToken)).status).toBe(200);
  }, 60_000);
});

describe('forged Bearer tokens through the refresh function: 401 invalid_token', () => {
  const enc = (o: unknown) => base64urlEncodeText(JSON.stringify(o));

  it('alg none, HS256 with the public key, wrong typ, expired, another issuer, unknown kid, tampered payload', async () => {
    const alice = await login('acme');
    const bob = await login('acme');
    const claims = decodeJwt(alice.accessToken) as Record<string, unknown>;
    const signer = await ring.current();
    expect(JSON.parse(Buffer.from(alice.accessToken.split('.')[0] as string, 'base64url').toString())).toMatchObject({ kid: signer.kid });
    const jwk = await signer.publicJwk();
    const now = Math.floor(systemClock.now() / 1000);
    const hsInput = `${enc({ alg: 'HS256', typ: 'at+jwt', kid: signer.kid })}.${enc(claims)}`;
    const [h64, , sig] = alice.accessToken.split('.') as [string, string, string];
    const forged: Record<string, string> = {
      'alg none': `${enc({ alg: 'none', typ: 'at+jwt', kid: signer.kid })}.${enc(claims)}.`,
      'HS256 with the public JWK as the secret': `${hsInput}.${createHmac('sha256', JSON.stringify(jwk)).update(hsInput).digest('base64url')}`,
      'HS256 with x||y as the secret': `${hsInput}.${createHmac('sha256', Buffer.concat([Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')])).update(hsInput).digest('base64url')}`,
      'wrong typ': await signJws(signer, { typ: 'JWT' }, claims),
      expired: await signJws(signer, { typ: 'at+jwt' }, { ...claims, iat: now - 1200, nbf: now - 1200, exp: now - 300 }),
      'another issuer': await signJws(signer, { typ: 'at+jwt' }, { ...claims, iss: 'https://evil.example' }),
      'unknown kid': await signJws(await createLocalKeyRing(memoryKeyStore(), { clock: systemClock }).current(), { typ: 'at+jwt' }, claims),
      'tampered payload': `${h64}.${enc({ ...claims, sub: bob.userId, sid: bob.sessionId })}.${sig}`,
    };
    for (const [name, token] of Object.entries(forged)) {
      for (const [method, target] of [
        ['GET', '/v1/sessions'],
        ['POST', '/v1/sessions/revoke-others'],
        ['DELETE', `/v1/sessions/${bob.sessionId}`],
      ] as const) {
        const r = await call(method, target, token);
        expect(r.status, `${name} ${method} ${target}`).toBe(401);
        expect(r.body).toMatchObject({ error: 'invalid_token' });
      }
    }
    // Controls: the same claims re-signed properly by this test's signer pass (so each refusal above is the forgery's),
    // and the genuine tokens still work: nothing was revoked.
    expect((await call('GET', '/v1/sessions', await signJws(signer, { typ: 'at+jwt' }, claims))).status).toBe(200);
    expect(ids((await call('GET', '/v1/sessions', alice.accessToken)).body)).toEqual([alice.sessionId]);
    expect(ids((await call('GET', '/v1/sessions', bob.accessToken)).body)).toEqual([bob.sessionId]);
  }, 60_000);
});
