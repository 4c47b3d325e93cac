/** `POST /v1/magic-link` and `POST /v1/magic-link/redeem` through the token routes, on the in-memory stores. */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { LOCKOUTS } from '../../shared/adapters/store/lockout-repo.ts';
import { MAGIC_LINKS } from '../../shared/adapters/store/magic-link-repo.ts';
import { MFA_TOKENS } from '../../shared/adapters/store/mfa-token-repo.ts';
import { SESSIONS } from '../../shared/adapters/store/session-repo.ts';
import { DEV_MAILBOX } from '../../shared/adapters/local/dev-mailbox.ts';
import { hashOpaqueToken } from '../../shared/domain/tokens/opaque-token.ts';
import { AUDIENCE, loginBody, loginFixture, withoutRequestId } from './testing/login-fixture.ts';

type F = ReturnType<typeof loginFixture>;

/** Requests a link for `email` and returns the token from the dev mailbox. */
async function linkFor(f: F, tenantId: string, email: string): Promise<string> {
  const res = await f.post('/v1/magic-link', { tenant_id: tenantId, email });
  expect(res.status).toBe(202);
  const mail = await f.lastMail(email.trim().toLowerCase());
  const token = /#token=(\S+)/.exec(mail?.text ?? '')?.[1];
  if (token === undefined) throw new Error(`no magic link mailed to ${email}`);
  return decodeURIComponent(token);
}

describe('POST /v1/magic-link', () => {
  it('always answers 202 with the same body; mails a link only to an active user of a tenant that allows it', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.seedTenant('corp', 'eu', { sso: { required: true } });
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    await f.addUser({ tenantId: 'acme', email: 'gone@example.com', status: 'disabled' });
    await f.addUser({ tenantId: 'corp', email: 'carol@example.com' });
    const answers = [];
    for (const body of [
      { tenant_id: 'acme', email: ' Alice@Example.com' },
      { tenant_id: 'acme', email: 'nobody@example.com' },
      { tenant_id: 'acme', email: 'gone@example.com' },
      { tenant_id: 'nowhere', email: 'alice@example.com' },
      { tenant_id: 'corp', email: 'carol@example.com' },
      { tenant_id: 'acme', email: 'not an email' },
    ]) {
      const res = await f.post('/v1/magic-link', body);
      answers.push({ status: res.status, body: withoutRequestId(res.body), headers: res.headers });
    }
    expect(answers[0]).toEqual({ status: 202, body: { status: 'accepted' }, headers: { 'cache-control': 'no-store' } });
    for (const a of answers) expect(a).toEqual(answers[0]);
    const mails = await f.stores.databases.platform.query(DEV_MAILBOX, {});
    expect(mails.map((m) => m.data['to'])).toEqual(['alice@example.com']);
    expect(f.logs.filter((l) => l['message'] === 'magic link requested').map((l) => l['outcome'])).toEqual([
      'sent',
      'unknown_user',
      'unknown_user',
      'unknown_tenant',
      'sso_required',
      'bad_email',
    ]);
    // the link is stored only as its hash, for 15 minutes
    const mail = mails[0]?.data['text'] as string;
    const token = decodeURIComponent(/#token=(\S+)/.exec(mail)?.[1] ?? '');
    expect(token).toMatch(/^ml\.acme\.[A-Za-z0-9_-]{43}$/);
    expect(mail).toContain('http://127.0.0.1:8080/magic-link#token=');
    const stored = await f.stores.databases.regions.eu.query(MAGIC_LINKS, {});
    expect(stored).toHaveLength(1);
    expect(stored[0]?.id).toBe(await hashOpaqueToken(token));
    expect(stored[0]?.data['expires_at']).toBe(new Date(f.clock.now() + 900_000).toISOString());
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[2]);
  });

  it('takes at least the floor time whichever way it goes, so an existing user is not told apart by latency', async () => {
    const f = loginFixture({ magicLinkFloorMs: 150 });
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    for (const email of ['alice@example.com', 'nobody@example.com']) {
      const t0 = performance.now();
      expect((await f.post('/v1/magic-link', { tenant_id: 'acme', email })).status).toBe(202);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    }
  });

  it('a mail failure is logged and still answers 202', async () => {
    const f = loginFixture({ mailer: { send: () => Promise.reject(new Error('smtp down')) } });
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const res = await f.post('/v1/magic-link', { tenant_id: 'acme', email: 'alice@example.com' });
    expect(res.status).toBe(202);
    expect(withoutRequestId(res.body)).toEqual({ status: 'accepted' });
    expect(f.logs.find((l) => l['message'] === 'magic link not delivered')).toMatchObject({ severity: 'ERROR', outcome: 'mail_failed', err: 'Error: smtp down' });
  });

  it('refuses an unknown field with 400', async () => {
    const f = loginFixture();
    const res = await f.post('/v1/magic-link', { tenant_id: 'acme', email: 'a@example.com', redirect: 'https://evil.example' });
    expect(res.status).toBe(400);
    expect(res.body['error']).toBe('invalid_request');
  });
});

describe('POST /v1/magic-link/redeem', () => {
  it('answers the token body with amr ["email"], once; the link is consumed', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    const alice = await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const token = await linkFor(f, 'acme', 'alice@example.com');
    const res = await f.post('/v1/magic-link/redeem', { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_token: expect.stringMatching(/^rt\.acme\./) });
    expect(decodeJwt(res.body['access_token'] as string)).toMatchObject({ sub: alice.user_id, amr: ['email'], acr: 'urn:melmastoon:acr:pwd', sid: res.body['session_id'] });
    const session = await f.stores.databases.regions.eu.get(SESSIONS, res.body['session_id'] as string);
    expect(session).toMatchObject({ client_id: 'magic-link', amr: ['email'] });
    expect(await f.stores.databases.regions.eu.query(MAGIC_LINKS, {})).toEqual([]);
    expect((await f.user('acme', alice.user_id))?.last_login_at).toBe(new Date(f.clock.now()).toISOString());
    const again = await f.post('/v1/magic-link/redeem', { token });
    expect(again.status).toBe(401);
    expect(withoutRequestId(again.body)).toEqual({ error: 'invalid_grant', error_description: 'the credentials are not valid' });
  });

  it('RECOVERS a locked account: every lockout counter of the email is cleared, from every IP', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { lockout: { threshold: 2, unlock_after_seconds: 3600 } });
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const wrong = loginBody('acme', 'alice@example.com', 'wrong wrong wrong');
    for (const peer of ['192.0.2.1', '192.0.2.2']) {
      await f.post('/v1/login', wrong, { peer });
      await f.post('/v1/login', wrong, { peer });
      expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'), { peer })).status).toBe(429);
    }
    expect(await f.stores.databases.regions.eu.query(LOCKOUTS, {})).toHaveLength(2);
    const token = await linkFor(f, 'acme', 'alice@example.com');
    expect((await f.post('/v1/magic-link/redeem', { token })).status).toBe(200);
    expect(await f.stores.databases.regions.eu.query(LOCKOUTS, {})).toEqual([]);
    expect((await f.post('/v1/login', loginBody('acme', 'alice@example.com'), { peer: '192.0.2.1' })).status).toBe(200);
    expect(f.logs.find((l) => l['message'] === 'magic link recovered a locked account')).toMatchObject({ severity: 'NOTICE', cleared: 2 });
  });

  it('an expired link is refused and spent', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const token = await linkFor(f, 'acme', 'alice@example.com');
    f.clock.advance(900_000);
    const res = await f.post('/v1/magic-link/redeem', { token });
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('invalid_grant');
    expect(await f.stores.databases.regions.eu.query(MAGIC_LINKS, {})).toEqual([]);
  });

  it('refuses tokens that are not magic links, or not ours, with the same invalid_grant', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const token = await linkFor(f, 'acme', 'alice@example.com');
    const login = await f.post('/v1/login', loginBody('acme', 'alice@example.com'));
    const secret = token.split('.')[2] as string;
    const bodies = [];
    for (const bad of [
      `ml.acme.${secret.slice(0, -1)}A`,
      `ml.other.${secret}`,
      `ml.nowhere.${secret}`,
      `rt.acme.${secret}`,
      login.body['refresh_token'] as string,
      'garbage',
    ]) {
      const res = await f.post('/v1/magic-link/redeem', { token: bad });
      expect(res.status, bad).toBe(401);
      bodies.push(withoutRequestId(res.body));
    }
    for (const b of bodies) expect(b).toEqual({ error: 'invalid_grant', error_description: 'the credentials are not valid' });
    // none of them consumed the real link
    expect((await f.post('/v1/magic-link/redeem', { token })).status).toBe(200);
  });

  it('a user disabled after the link was sent is refused', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    const alice = await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const token = await linkFor(f, 'acme', 'alice@example.com');
    await f.stores.uow.run('eu', async (tx) => tx.users.put({ ...alice, status: 'disabled' }));
    expect((await f.post('/v1/magic-link/redeem', { token })).status).toBe(401);
  });

  it('respects the SSO policy at redemption: a tenant that turned SSO on since answers sso_required; fallback magic_link allows it', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    await f.addUser({ tenantId: 'acme', email: 'bob@example.com' });
    const a = await linkFor(f, 'acme', 'alice@example.com');
    const b = await linkFor(f, 'acme', 'bob@example.com');
    await f.setPolicy('acme', 'eu', { sso: { required: true } });
    const refused = await f.post('/v1/magic-link/redeem', { token: a });
    expect(refused.status).toBe(403);
    expect(refused.body['error']).toBe('sso_required');
    await f.setPolicy('acme', 'eu', { sso: { required: true, emergency_fallback: 'magic_link' } });
    expect((await f.post('/v1/magic-link/redeem', { token: b })).status).toBe(200);
    // and with the fallback, new links are sent
    await linkFor(f, 'acme', 'alice@example.com');
  });

  it('a user with a factor gets mfa_required, with amr ["email"] carried in the mfa_token', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'bob@example.com', mfa: ['webauthn'] });
    const token = await linkFor(f, 'acme', 'bob@example.com');
    const res = await f.post('/v1/magic-link/redeem', { token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'mfa_required', methods: ['webauthn'], mfa_token: expect.stringMatching(/^mfa\.acme\./) });
    const rows = await f.stores.databases.regions.eu.query(MFA_TOKENS, {});
    expect(rows.map((r) => r.data['amr'])).toEqual([['email']]);
    expect(await f.stores.databases.regions.eu.query(MAGIC_LINKS, {})).toEqual([]);
  });

  it('a mandated user without a factor gets 403 mfa_enrollment_required with an enrollment token, no mfa_token, and the link is spent', async () => {
    const f = loginFixture();
    await f.seedTenant('acme', 'eu', { mfa: { required_for_roles: ['staff'] } });
    const carol = await f.addUser({ tenantId: 'acme', email: 'carol@example.com', roles: ['staff'] });
    const token = await linkFor(f, 'acme', 'carol@example.com');
    const res = await f.post('/v1/magic-link/redeem', { token });
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body).toMatchObject({ error: 'mfa_enrollment_required', enrollment_token: expect.any(String), methods: expect.arrayContaining(['totp']) });
    const claims = decodeJwt(res.body['enrollment_token'] as string);
    expect(claims).toMatchObject({ sub: carol.user_id, tid: 'acme', amr: ['email'] });
    expect(claims['aud']).not.toBe(AUDIENCE);
    expect(await f.stores.databases.regions.eu.query(MFA_TOKENS, {})).toEqual([]);
    expect(await f.stores.databases.regions.eu.query(SESSIONS, {})).toEqual([]);
    expect(await f.stores.databases.regions.eu.query(MAGIC_LINKS, {})).toEqual([]);
  });

  it('of 8 parallel redemptions of one link, exactly one gets tokens', async () => {
    const f = loginFixture();
    await f.seedTenant('acme');
    await f.addUser({ tenantId: 'acme', email: 'alice@example.com' });
    const token = await linkFor(f, 'acme', 'alice@example.com');
    const results = await Promise.all(Array.from({ length: 8 }, () => f.post('/v1/magic-link/redeem', { token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(7);
    expect(await f.stores.databases.regions.eu.query(SESSIONS, {})).toHaveLength(1);
  });
});
