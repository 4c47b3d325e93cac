import { describe, expect, it } from 'vitest';
import { aClient, CLIENT, refreshWorld, type RefreshWorld } from '../../../functions/refresh/testing/refresh-world.ts';
import { decodeJwt } from 'jose';
import type { RiskLevel } from '../mfa/risk/risk-level.ts';
import { hashOpaqueToken } from '../tokens/opaque-token.ts';
import { coalesceRiskChecks } from './refresh-risk.ts';
import { rotateRefreshToken, type RefreshOutcome, type RefreshRefusal, type RefreshRiskInput } from './rotate-refresh-token.ts';
import type { Result } from '../result.ts';

async function refresh(w: RefreshWorld, token: string, clientId = CLIENT): Promise<Result<RefreshOutcome, RefreshRefusal>> {
  return rotateRefreshToken(w.deps, { refreshToken: token, clientId, client: aClient() });
}

function tokens(r: Result<RefreshOutcome, RefreshRefusal>): Extract<RefreshOutcome, { kind: 'tokens' }> {
  if (!r.ok) throw new Error(`refused: ${r.error.reason}`);
  if (r.value.kind !== 'tokens') throw new Error(`not tokens: ${r.value.kind}`);
  return r.value;
}

function refused(r: Result<RefreshOutcome, RefreshRefusal>): RefreshRefusal {
  if (r.ok) throw new Error(`not refused: ${r.value.kind}`);
  return r.error;
}

async function setup(options: Parameters<typeof refreshWorld>[0] = {}) {
  const w = await refreshWorld(options);
  const user = await w.seedUser({ roles: ['member', 'editor'] });
  const family = await w.startFamily(user);
  return { w, user, ...family };
}

describe('rotateRefreshToken: rotation', () => {
  it('issues a successor and an access token, marks the parent rotated with its successor sealed, extends the idle expiry', async () => {
    const { w, user, token, sessionId } = await setup();
    const before = await w.family(sessionId);
    w.fixed.advance(60_000);
    const out = tokens(await refresh(w, token));
    expect(out.via).toBe('rotated');
    expect(out.body.refresh_token).toMatch(/^rt\.acme\.[A-Za-z0-9_-]{43}$/);
    expect(out.body.refresh_token).not.toBe(token);
    expect(out.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, session_id: sessionId });
    const claims = decodeJwt(out.body.access_token);
    expect(claims).toMatchObject({ sub: user.user_id, tid: 'acme', sid: sessionId, roles: ['member', 'editor'], amr: ['pwd'], iss: 'http://127.0.0.1:8080' });

    const parent = await w.record(token);
    const child = await w.record(out.body.refresh_token);
    expect(parent).toMatchObject({ status: 'rotated', successor: await hashOpaqueToken(out.body.refresh_token), used_at: '2026-03-01T12:01:00.000Z' });
    expect(parent?.grace_until).toBe('2026-03-01T12:01:10.000Z');
    expect(JSON.stringify(parent)).not.toContain(out.body.refresh_token.slice(9));
    expect(child).toMatchObject({ status: 'active', parent: parent?.token_hash, session_id: sessionId, client_id: CLIENT, used_at: null });
    const after = await w.family(sessionId);
    expect(after?.last_used_at).toBe('2026-03-01T12:01:00.000Z');
    expect((after?.idle_expires_at ?? '') > (before?.idle_expires_at ?? '')).toBe(true);
    expect(after?.absolute_expires_at).toBe(before?.absolute_expires_at);
  });

  it('a chain of rotations keeps working; routine rotations write no outbox or audit event', async () => {
    const { w, token } = await setup();
    const events = (await w.outbox()).length;
    const audits = (await w.audit()).length;
    let current = token;
    for (let i = 0; i < 5; i++) {
      w.fixed.advance(30_000);
      current = tokens(await refresh(w, current)).body.refresh_token;
    }
    expect((await w.outbox()).length).toBe(events);
    expect((await w.audit()).length).toBe(audits);
  });

  it('never extends the idle expiry past the absolute one', async () => {
    const { w, token, sessionId } = await setup({ policy: { session: { idle_seconds: 3600, absolute_seconds: 4000 } } });
    w.fixed.advance(3000_000);
    tokens(await refresh(w, token));
    expect((await w.family(sessionId))?.idle_expires_at).toBe((await w.family(sessionId))?.absolute_expires_at);
  });
});

describe('rotateRefreshToken: grace window and reuse', () => {
  it('a retry of the immediate predecessor inside the window gets the SAME successor and writes nothing', async () => {
    const { w, token, sessionId } = await setup();
    const first = tokens(await refresh(w, token));
    const familyAfter = await w.family(sessionId);
    w.fixed.advance(9_000);
    const retry = tokens(await refresh(w, token));
    expect(retry.via).toBe('grace');
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
    expect(retry.body.access_token).not.toBe(first.body.access_token);
    expect(await w.family(sessionId)).toEqual(familyAfter);
    // The successor is still the live token.
    expect(tokens(await refresh(w, first.body.refresh_token)).via).toBe('rotated');
  });

  it('the window is inclusive of its last instant and closed after it: reuse revokes the family, newest token included', async () => {
    const { w, user, token, sessionId } = await setup();
    const first = tokens(await refresh(w, token));
    w.fixed.advance(10_000);
    expect(tokens(await refresh(w, token)).via).toBe('grace');
    w.fixed.advance(1);
    const reuse = refused(await refresh(w, token));
    expect(reuse).toMatchObject({ reason: 'reuse_detected', sessionId });
    expect(reuse.error.code).toBe('invalid_grant');
    const family = await w.family(sessionId);
    expect(family?.revoked_reason).toBe('reuse_detected');
    expect(family?.revoked_at).toBe('2026-03-01T12:00:10.001Z');
    expect((await w.record(first.body.refresh_token))?.status).toBe('revoked');
    expect((await w.record(token))?.successor_sealed).toBeNull();
    expect(refused(await refresh(w, first.body.refresh_token)).reason).toBe('revoked');
    const events = (await w.outbox()).filter((e) => e.type === 'iam.session.reuse_detected.v1');
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ session_id: sessionId, user_id: user.user_id, reason: 'reuse_detected' });
    const audit = (await w.audit()).filter((a) => a.action === 'session.reuse_detected');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target: `session/${sessionId}`, event_id: events[0]?.id, actor: { type: 'service', id: 'refresh' } });
    expect(JSON.stringify(audit[0])).not.toContain(token);
  });

  it('an older ancestor inside the window is reuse, not grace', async () => {
    const { w, token, sessionId } = await setup();
    const a1 = tokens(await refresh(w, token)).body.refresh_token;
    w.fixed.advance(1000);
    const a2 = tokens(await refresh(w, a1)).body.refresh_token;
    w.fixed.advance(1000);
    // `token` is within its window but its successor a1 is no longer live.
    expect(refused(await refresh(w, token)).reason).toBe('reuse_detected');
    expect(refused(await refresh(w, a2)).reason).toBe('revoked');
    expect((await w.family(sessionId))?.revoked_reason).toBe('reuse_detected');
  });

  it('after two rotations, the immediate predecessor of the live token gets the live token back', async () => {
    const { w, token } = await setup();
    const a1 = tokens(await refresh(w, token)).body.refresh_token;
    const a2 = tokens(await refresh(w, a1)).body.refresh_token;
    const retry = tokens(await refresh(w, a1));
    expect([retry.via, retry.body.refresh_token]).toEqual(['grace', a2]);
  });

  it('with refresh_grace_seconds 0 there is no window and nothing is sealed', async () => {
    const { w, token } = await setup({ policy: { session: { refresh_grace_seconds: 0 } } });
    tokens(await refresh(w, token));
    expect((await w.record(token))?.successor_sealed).toBeNull();
    expect(refused(await refresh(w, token)).reason).toBe('reuse_detected');
  });

  it('20 concurrent refreshes of one token: one successor for all, no revocation', async () => {
    const { w, token, sessionId } = await setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(w, token)));
    const bodies = results.map(tokens);
    expect(new Set(bodies.map((b) => b.body.refresh_token)).size).toBe(1);
    expect(bodies.filter((b) => b.via === 'rotated')).toHaveLength(1);
    expect((await w.family(sessionId))?.revoked_at).toBeNull();
    expect(tokens(await refresh(w, bodies[0]?.body.refresh_token ?? '')).via).toBe('rotated');
  });
});

describe('rotateRefreshToken: refusals', () => {
  it('malformed, unknown-tenant and unknown tokens: invalid_grant, nothing written', async () => {
    const { w } = await setup();
    const commits = () => Object.values(w.stores.databases.regions).reduce((n, db) => n + ((db as { commits?: number }).commits ?? 0), 0);
    const before = commits();
    for (const [t, reason] of [
      ['', 'malformed'],
      ['garbage', 'malformed'],
      [`mfa.acme.${'A'.repeat(43)}`, 'malformed'],
      [`rt.ACME.${'A'.repeat(43)}`, 'malformed'],
      [`rt.nobody.${'A'.repeat(43)}`, 'unknown_tenant'],
      [`rt.acme.${'A'.repeat(43)}`, 'unknown_token'],
    ] as const) {
      const r = refused(await refresh(w, t));
      expect(r.reason, t).toBe(reason);
      expect(r.error.code).toBe('invalid_grant');
    }
    expect(commits()).toBe(before);
  });

  it("binds tokens to their client: another client is refused and nothing is revoked", async () => {
    const { w, token, sessionId } = await setup();
    expect(refused(await refresh(w, token, 'other-app'))).toMatchObject({ reason: 'client_mismatch' });
    expect((await w.family(sessionId))?.revoked_at).toBeNull();
    expect((await w.record(token))?.status).toBe('active');
    const next = tokens(await refresh(w, token)).body.refresh_token;
    // A rotated token with the wrong client is refused before reuse is judged.
    expect(refused(await refresh(w, token, 'other-app')).reason).toBe('client_mismatch');
    expect(tokens(await refresh(w, next)).via).toBe('rotated');
  });

  it('idle and absolute lifetimes', async () => {
    const { w, token } = await setup({ policy: { session: { idle_seconds: 600, absolute_seconds: 1200 } } });
    w.fixed.advance(599_000);
    const t1 = tokens(await refresh(w, token)).body.refresh_token;
    w.fixed.advance(599_000);
    const t2 = tokens(await refresh(w, t1)).body.refresh_token;
    w.fixed.advance(2_000); // 1200 s after the login: the absolute lifetime is over
    expect(refused(await refresh(w, t2)).reason).toBe('absolute_expired');

    const { w: w2, token: idle } = await setup({ policy: { session: { idle_seconds: 600 } } });
    w2.fixed.advance(600_000);
    expect(refused(await refresh(w2, idle)).reason).toBe('idle_expired');
  });

  it('a tenant epoch after the family revokes it on its next refresh (with an event), another tenant\'s epoch does not', async () => {
    const { w, token, sessionId } = await setup();
    const other = await w.seedUser({ tenant_id: 'umbrella' });
    const otherFamily = await w.startFamily(other);
    w.fixed.advance(1000);
    const at = new Date(w.clock.now()).toISOString();
    await w.stores.uow.run('eu', async (tx) =>
      tx.revocationEpochs.put({ tenant_id: 'acme', epoch: at, set_at: at, actor: { type: 'admin', id: 'ops' }, reason: 'incident', version: 1 }),
    );
    expect(refused(await refresh(w, token)).reason).toBe('tenant_epoch');
    expect((await w.family(sessionId))?.revoked_reason).toBe('tenant_epoch');
    expect((await w.outbox()).some((e) => e.type === 'iam.session.revoked.v1' && e.subject === `session/${sessionId}`)).toBe(true);
    expect(tokens(await refresh(w, otherFamily.token)).via).toBe('rotated');
    // A family started after the epoch is not touched.
    w.fixed.advance(1);
    const later = await w.startFamily(await w.seedUser());
    expect(tokens(await refresh(w, later.token)).via).toBe('rotated');
  });

  it('a platform epoch revokes every older family', async () => {
    const { w, token } = await setup();
    w.fixed.advance(1000);
    const at = new Date(w.clock.now()).toISOString();
    w.platform.epoch = { tenant_id: '_platform', epoch: at, set_at: at, actor: { type: 'platform', id: 'ops' }, reason: 'key_compromise', version: 1 };
    expect(refused(await refresh(w, token)).reason).toBe('platform_epoch');
  });

  it('a disabled or deleted user cannot refresh', async () => {
    const { w, user, token } = await setup();
    await w.stores.uow.run('eu', async (tx) => tx.users.put({ ...user, status: 'disabled' }));
    expect(refused(await refresh(w, token)).reason).toBe('user_inactive');
    expect((await w.record(token))?.status).toBe('active');
  });

  it('a revoked family refuses every token', async () => {
    const { w, token, sessionId } = await setup();
    const fam = await w.family(sessionId);
    if (fam === undefined) throw new Error('no family');
    await w.stores.uow.run('eu', async (tx) => tx.sessions.put({ ...fam, revoked_at: fam.created_at, revoked_reason: 'admin' }));
    expect(refused(await refresh(w, token)).reason).toBe('revoked');
  });
});

describe('rotateRefreshToken: step-up hook', () => {
  function riskOf(level: RiskLevel) {
    const calls: RefreshRiskInput[] = [];
    return { calls, check: async (i: RefreshRiskInput) => (calls.push(i), { level }) };
  }

  it('allow: rotates; the hook is asked with the family\'s device and event refresh', async () => {
    const risk = riskOf('allow');
    const w = await refreshWorld({ risk: risk.check });
    const user = await w.seedUser();
    const { token } = await w.startFamily(user, { deviceId: 'dev-1' });
    tokens(await refresh(w, token));
    expect(risk.calls).toEqual([
      expect.objectContaining({ tenantId: 'acme', userId: user.user_id, deviceId: 'dev-1', event: 'refresh', recentFailures: 0, ip: '198.51.100.10', region: 'eu' }),
    ]);
  });

  it('step_up: mfa_required with an mfa_token, WITHOUT rotating', async () => {
    const risk = riskOf('step_up');
    const w = await refreshWorld({ risk: risk.check });
    const user = await w.seedUser({ mfa_methods: ['totp'] });
    const { token, sessionId } = await w.startFamily(user);
    const r = await refresh(w, token);
    if (!r.ok || r.value.kind !== 'mfa_required') throw new Error('expected mfa_required');
    expect(r.value.methods).toEqual(['totp']);
    expect(r.value.mfaToken).toMatch(/^mfa\.acme\./);
    expect((await w.record(token))?.status).toBe('active');
    const mfa = await w.stores.uow.run('eu', async (tx) => tx.mfaTokens.get('acme', await hashOpaqueToken((r.value as { mfaToken: string }).mfaToken)));
    expect(mfa).toMatchObject({ user_id: user.user_id, client_id: CLIENT, methods: ['totp'], amr: ['pwd'] });
    expect((await w.family(sessionId))?.revoked_at).toBeNull();
  });

  it('hardware_step_up offers WebAuthn alone when the user has it; no factor or deny_pending_review: access_denied', async () => {
    const hw = await refreshWorld({ risk: riskOf('hardware_step_up').check });
    const u1 = await hw.seedUser({ mfa_methods: ['totp', 'webauthn'] });
    const r1 = await refresh(hw, (await hw.startFamily(u1)).token);
    expect(r1.ok && r1.value.kind === 'mfa_required' ? r1.value.methods : undefined).toEqual(['webauthn']);

    const none = await refreshWorld({ risk: riskOf('step_up').check });
    const u2 = await none.seedUser();
    const t2 = (await none.startFamily(u2)).token;
    const e2 = refused(await refresh(none, t2));
    expect([e2.reason, e2.error.code]).toEqual(['step_up_impossible', 'access_denied']);
    expect((await none.record(t2))?.status).toBe('active');

    const deny = await refreshWorld({ risk: riskOf('deny_pending_review').check });
    const u3 = await deny.seedUser({ mfa_methods: ['totp'] });
    const e3 = refused(await refresh(deny, (await deny.startFamily(u3)).token));
    expect([e3.reason, e3.error.code]).toEqual(['risk_denied', 'access_denied']);
  });

  it('a grace retry and a reuse are not assessed', async () => {
    const risk = riskOf('allow');
    const w = await refreshWorld({ risk: risk.check });
    const { token } = await w.startFamily(await w.seedUser());
    tokens(await refresh(w, token));
    tokens(await refresh(w, token));
    w.fixed.advance(60_000);
    refused(await refresh(w, token));
    expect(risk.calls).toHaveLength(1);
  });

  it('coalesceRiskChecks: concurrent identical checks share one assessment; later ones are asked again', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const check = coalesceRiskChecks(async () => {
      calls++;
      await gate;
      return { level: 'allow' as const };
    });
    const input: RefreshRiskInput = { tenantId: 'acme', userId: 'u', deviceId: null, ip: '1.2.3.4', event: 'refresh', recentFailures: 0, requestId: 'r', region: 'eu' };
    const pending = [check(input), check(input), check({ ...input, requestId: 'r2' }), check({ ...input, userId: 'v' })];
    release();
    await Promise.all(pending);
    expect(calls).toBe(2);
    await check(input);
    expect(calls).toBe(3);
  });

  it('20 concurrent refreshes with the hook: all succeed with one successor, the hook asked once', async () => {
    const risk = riskOf('allow');
    const w = await refreshWorld({ risk: coalesceRiskChecks(async (i) => risk.check(i)) });
    const { token } = await w.startFamily(await w.seedUser());
    const results = (await Promise.all(Array.from({ length: 20 }, () => refresh(w, token)))).map(tokens);
    expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1);
    expect(risk.calls.length).toBe(1);
  });
});
