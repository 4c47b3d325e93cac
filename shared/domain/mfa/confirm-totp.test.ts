import { describe, expect, it } from 'vitest';
import { nodeMfaCrypto } from '../../adapters/crypto/mfa-crypto.ts';
import { MFA_FACTORS } from '../../adapters/store/mfa-factor-repo.ts';
import { MFA_T0, mfaWorld, type MfaWorld } from '../../testing/mfa-world.ts';
import { confirmTotp } from './confirm-totp.ts';
import { enrollTotp, PENDING_TOTP_TTL_SECONDS } from './enroll-totp.ts';
import type { TotpFactor } from './factor.ts';
import { timeStep } from './totp.ts';
import { verifyTotp } from './verify-totp.ts';

const actor = { type: 'user', id: 'alice' } as const;

async function enrolled(w: MfaWorld, userId = 'alice'): Promise<{ secret: Uint8Array; factorId: string }> {
  const r = await enrollTotp(w.deps, { tenantId: 'acme', userId, issuer: 'Melmastoon', actor: { type: 'user', id: userId }, requestId: null });
  if (r.kind !== 'enrolled') throw new Error(r.kind);
  return { secret: nodeMfaCrypto.base32Decode(r.secret) as Uint8Array, factorId: r.factorId };
}

const confirm = (w: MfaWorld, code: string, extra: { factorId?: string; userId?: string } = {}) =>
  confirmTotp(w.deps, { tenantId: 'acme', userId: extra.userId ?? 'alice', code, actor, requestId: 'req-9', ...(extra.factorId === undefined ? {} : { factorId: extra.factorId }) });

describe('confirmTotp', () => {
  it('confirms the factor, adds totp to the user, and writes iam.mfa.enrolled.v1 and the audit in one commit', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice', mfa_methods: [] });
    const { secret, factorId } = await enrolled(w);
    w.clock.advance(40_000);
    const before = w.commits();
    expect(await confirm(w, await w.code(secret))).toEqual({ kind: 'confirmed', factorId, methods: ['totp'] });
    expect(w.commits()).toBe(before + 1);

    const [factor] = (await w.factors('acme', 'alice')) as TotpFactor[];
    const now = new Date(MFA_T0 + 40_000).toISOString();
    expect(factor).toMatchObject({ status: 'confirmed', confirmed_at: now, last_used_at: now, last_used_step: timeStep(MFA_T0 + 40_000) });
    const user = await w.user('acme', 'alice');
    expect(user).toMatchObject({ mfa_methods: ['totp'], updated_at: now });

    const [event] = await w.outbox();
    expect(event).toMatchObject({
      type: 'iam.mfa.enrolled.v1',
      subject: 'user/alice',
      ordering_key: 'user/alice',
      tenant_id: 'acme',
      data: { tenant_id: 'acme', user_id: 'alice', factor_id: factorId, method: 'totp', replaced_factor_ids: [] },
    });
    const audit = (await w.audit()).find((a) => a.action === 'mfa.enrolled');
    expect(audit).toMatchObject({ actor, event_id: event?.id, request_id: 'req-9', target: 'user/alice' });
  });

  it('the confirming code cannot also finish a login (its step is used)', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    const { secret } = await enrolled(w);
    const code = await w.code(secret);
    await confirm(w, code);
    expect(await verifyTotp(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: 'tok', code })).toEqual({ kind: 'replayed' });
  });

  it('refuses a wrong code and a malformed one, writing nothing; the factor stays pending', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    const { secret } = await enrolled(w);
    const before = w.commits();
    const right = await w.code(secret);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    expect(await confirm(w, wrong)).toEqual({ kind: 'invalid_code' });
    expect(await confirm(w, await w.codeOfStep(secret, 2))).toEqual({ kind: 'invalid_code' });
    for (const bad of ['12345', '1234567', 'abcdef', ` ${right}`]) expect(await confirm(w, bad)).toEqual({ kind: 'malformed' });
    expect(w.commits()).toBe(before);
    expect((await w.factors('acme', 'alice'))[0]?.status).toBe('pending');
    expect((await w.user('acme', 'alice'))?.mfa_methods).toEqual([]);
  });

  it('refuses a pending factor older than 15 minutes, and confirms one just inside', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    const { secret } = await enrolled(w);
    w.clock.advance(PENDING_TOTP_TTL_SECONDS * 1000);
    expect(await confirm(w, await w.code(secret))).toEqual({ kind: 'enrollment_expired' });
    w.clock.set(MFA_T0 + PENDING_TOTP_TTL_SECONDS * 1000 - 1);
    expect((await confirm(w, await w.code(secret))).kind).toBe('confirmed');
  });

  it('answers no_pending_factor without an enrolment, after a confirmation, for another factor id and for another user', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    await w.seedUser({ tenant_id: 'acme', user_id: 'bob' });
    expect(await confirm(w, '123456')).toEqual({ kind: 'no_pending_factor' });
    const { secret, factorId } = await enrolled(w);
    expect(await confirm(w, await w.code(secret), { factorId: 'other-id' })).toEqual({ kind: 'no_pending_factor' });
    // Bob cannot confirm Alice's factor, even with its id and a right code.
    expect(await confirm(w, await w.code(secret), { factorId, userId: 'bob' })).toEqual({ kind: 'no_pending_factor' });
    expect((await confirm(w, await w.code(secret), { factorId })).kind).toBe('confirmed');
    w.clock.advance(30_000);
    expect(await confirm(w, await w.code(secret))).toEqual({ kind: 'no_pending_factor' });
  });

  it('re-enrolment: confirming the new factor removes the old one, whose codes stop working', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    const old = await w.enrolConfirmed('acme', 'alice');
    const next = await enrolled(w);
    expect((await confirm(w, await w.code(next.secret))).kind).toBe('confirmed');
    expect((await w.factors('acme', 'alice')).map((f) => f.factor_id)).toEqual([next.factorId]);
    expect((await w.user('acme', 'alice'))?.mfa_methods).toEqual(['totp']);
    const events = (await w.outbox()).filter((e) => e.type === 'iam.mfa.enrolled.v1');
    expect(events.at(-1)?.data).toMatchObject({ factor_id: next.factorId, replaced_factor_ids: [old.factorId] });
    w.clock.advance(30_000);
    expect(await verifyTotp(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: 't', code: await w.code(old.secret) })).toEqual({ kind: 'invalid_code' });
    expect((await verifyTotp(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: 't', code: await w.code(next.secret) })).kind).toBe('verified');
  });

  it('a sealed secret moved onto another user\'s factor does not decrypt (AAD binding): the use case throws, nothing is written', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    await w.seedUser({ tenant_id: 'acme', user_id: 'bob' });
    const alice = await enrolled(w, 'alice');
    const bob = await enrolled(w, 'bob');
    const db = w.stores.databases.regions.eu;
    const aliceDoc = (await db.get(MFA_FACTORS, alice.factorId)) as unknown as TotpFactor;
    await db.runTransaction(async (tx) => {
      const bobDoc = await tx.get(MFA_FACTORS, bob.factorId);
      tx.set(MFA_FACTORS, bob.factorId, { ...bobDoc, secret: aliceDoc.secret });
    });
    const before = w.commits();
    await expect(confirm(w, await w.code(alice.secret), { userId: 'bob' })).rejects.toThrow(/does not authenticate/);
    expect(w.commits()).toBe(before);
  });
});
