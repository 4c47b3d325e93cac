import { describe, expect, it } from 'vitest';
import { nodeMfaCrypto } from '../../adapters/crypto/mfa-crypto.ts';
import { MFA_FACTORS } from '../../adapters/store/mfa-factor-repo.ts';
import { MFA_T0, mfaWorld } from '../../testing/mfa-world.ts';
import { enrollTotp, PENDING_TOTP_TTL_SECONDS } from './enroll-totp.ts';
import { factorSecretAad, type TotpFactor } from './factor.ts';

const actor = { type: 'user', id: 'alice' } as const;
const input = { tenantId: 'acme', userId: 'alice', issuer: 'Melmastoon', actor, requestId: 'req-1' };

describe('enrollTotp', () => {
  it('returns a 160-bit base32 secret and its otpauth URI once, and stores it only sealed in a pending factor', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice', email: 'alice@example.com' });
    const r = await enrollTotp(w.deps, input);
    if (r.kind !== 'enrolled') throw new Error(r.kind);
    expect(r.secret).toMatch(/^[A-Z2-7]{32}$/);
    const raw = nodeMfaCrypto.base32Decode(r.secret);
    expect(raw).toHaveLength(20);
    expect(r.otpauthUri).toBe(
      `otpauth://totp/Melmastoon:alice%40example.com?secret=${r.secret}&issuer=Melmastoon&algorithm=SHA1&digits=6&period=30`,
    );
    expect(r.expiresAt).toBe(new Date(MFA_T0 + PENDING_TOTP_TTL_SECONDS * 1000).toISOString());

    const [factor] = (await w.factors('acme', 'alice')) as TotpFactor[];
    expect(factor).toMatchObject({
      factor_id: r.factorId,
      tenant_id: 'acme',
      user_id: 'alice',
      type: 'totp',
      status: 'pending',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      last_used_step: null,
      confirmed_at: null,
      created_at: new Date(MFA_T0).toISOString(),
    });
    // The stored document holds neither form of the secret; the sealed one opens only for this factor.
    const doc = JSON.stringify(await w.stores.databases.regions.eu.get(MFA_FACTORS, r.factorId));
    expect(doc).not.toContain(r.secret);
    expect(doc).not.toContain(Buffer.from(raw as Uint8Array).toString('base64url'));
    expect(doc).not.toContain(Buffer.from(raw as Uint8Array).toString('hex'));
    expect(await w.deps.cipher.open((factor as TotpFactor).secret, factorSecretAad(factor as TotpFactor))).toEqual(raw);

    // Nothing counts yet: no method, no event; the audit records the start without the secret.
    expect((await w.user('acme', 'alice'))?.mfa_methods).toEqual([]);
    expect(await w.outbox()).toEqual([]);
    const audit = await w.audit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'mfa.totp.enrollment_started', actor, target: 'user/alice', event_id: null, request_id: 'req-1', details: { factor_id: r.factorId } });
    expect(JSON.stringify(audit)).not.toContain(r.secret);
  });

  it('a new enrolment replaces the pending one; a confirmed factor stays until the new one is confirmed', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    const { factorId: confirmedId } = await w.enrolConfirmed('acme', 'alice');
    const first = await enrollTotp(w.deps, input);
    const second = await enrollTotp(w.deps, input);
    if (first.kind !== 'enrolled' || second.kind !== 'enrolled') throw new Error('not enrolled');
    expect(second.secret).not.toBe(first.secret);
    const factors = await w.factors('acme', 'alice');
    expect(factors.map((f) => [f.factor_id, f.status])).toEqual([
      [confirmedId, 'confirmed'],
      [second.factorId, 'pending'],
    ]);
  });

  it('refuses an unknown tenant, an unknown user, a disabled user and a user of another tenant, writing nothing', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    await w.seedUser({ tenant_id: 'acme', user_id: 'dora', status: 'disabled' });
    const before = w.commits();
    for (const bad of [
      { ...input, tenantId: 'nope' },
      { ...input, userId: 'nobody' },
      { ...input, userId: 'dora' },
      { ...input, tenantId: 'globex' },
    ]) {
      expect(await enrollTotp(w.deps, bad)).toEqual({ kind: 'user_not_found' });
    }
    expect(w.commits()).toBe(before);
    expect(await w.factors('acme', 'alice')).toEqual([]);
  });
});
