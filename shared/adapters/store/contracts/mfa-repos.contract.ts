/**
 * The contracts of {@link MfaFactorRepo}, {@link RecoveryCodeRepo} and
 * {@link MfaAttemptRepo}, and the MFA use cases' concurrency guarantees on
 * the backend itself: parallel guesses counted exactly, a TOTP code and a
 * recovery code accepted once under parallel use.
 */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import { attemptKeys, MFA_TOKEN_MAX_FAILURES, type MfaAttemptCounter } from '../../../domain/mfa/attempts.ts';
import type { TotpFactor, WebAuthnFactor } from '../../../domain/mfa/factor.ts';
import { generateRecoveryCodes } from '../../../domain/mfa/generate-recovery-codes.ts';
import type { RecoveryCodeSet } from '../../../domain/mfa/recovery-codes.ts';
import { useRecoveryCode } from '../../../domain/mfa/use-recovery-code.ts';
import { verifyTotp } from '../../../domain/mfa/verify-totp.ts';
import { mfaWorld } from '../../../testing/mfa-world.ts';
import { MFA_ATTEMPTS, mfaAttemptId } from '../mfa-attempt-repo.ts';
import { MFA_FACTORS } from '../mfa-factor-repo.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

function aTotpFactor(tenantId: string, userId: string, factorId: string, at = instant(0)): TotpFactor {
  return {
    tenant_id: tenantId,
    user_id: userId,
    factor_id: factorId,
    type: 'totp',
    status: 'pending',
    created_at: at,
    confirmed_at: null,
    last_used_at: null,
    secret: { v: 1, alg: 'A256GCM', kid: 'iam-mfa-kek', wrapped_key: 'd3JhcHBlZA', iv: 'aXZpdml2aXZpdml2', ciphertext: 'Y2lwaGVy' },
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    last_used_step: null,
  };
}

function aWebAuthnFactor(tenantId: string, userId: string, factorId: string, at = instant(0)): WebAuthnFactor {
  return {
    tenant_id: tenantId,
    user_id: userId,
    factor_id: factorId,
    type: 'webauthn',
    status: 'confirmed',
    created_at: at,
    confirmed_at: at,
    last_used_at: null,
    credential_id: 'Y3JlZGVudGlhbA',
    public_key: 'cHVibGljLWtleQ',
    sign_count: 0,
    transports: ['internal', 'hybrid'],
    uv: true,
  };
}

function aSet(tenantId: string, userId: string, setId: string): RecoveryCodeSet {
  return {
    tenant_id: tenantId,
    user_id: userId,
    set_id: setId,
    created_at: instant(0),
    pepper_id: 'iam-mfa-recovery-pepper',
    salt: 'c2FsdHNhbHRzYWx0c2FsdA',
    codes: [
      { hash: 'aGFzaC0x', used_at: null },
      { hash: 'aGFzaC0y', used_at: instant(5) },
    ],
  };
}

/** Runs the MFA repository contracts against a backend. */
export function mfaReposContract(backend: string, makeStores: StoresFactory): void {
  describe(`MfaFactorRepo contract (${backend})`, () => {
    it('stores TOTP and WebAuthn factors exactly, lists a user\'s oldest first, and keeps tenants apart', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const totp = aTotpFactor('t1', 'u1', 'f-b', instant(2));
      const key = aWebAuthnFactor('t1', 'u1', 'f-a', instant(1));
      const other = aTotpFactor('t1', 'u2', 'f-c');
      const foreign = aTotpFactor('t2', 'u1', 'f-d');
      await stores.uow.run('eu', async (tx) => [totp, key, other, foreign].forEach((f) => tx.mfaFactors.create(f)));
      const read = await stores.uow.run('eu', async (tx) => ({
        totp: await tx.mfaFactors.get('t1', 'f-b'),
        key: await tx.mfaFactors.get('t1', 'f-a'),
        wrongTenant: await tx.mfaFactors.get('t2', 'f-b'),
        missing: await tx.mfaFactors.get('t1', 'nope'),
        list: await tx.mfaFactors.listForUser('t1', 'u1'),
        otherTenantList: await tx.mfaFactors.listForUser('t2', 'u2'),
      }));
      expect(read).toEqual({ totp, key, wrongTenant: undefined, missing: undefined, list: [key, totp], otherTenantList: [] });
    });

    it('refuses a duplicate id with conflict, writing nothing; put replaces; delete removes', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const f = aTotpFactor('t1', 'u1', 'f1');
      await stores.uow.run('eu', async (tx) => tx.mfaFactors.create(f));
      const e = await stores.uow
        .run('eu', async (tx) => {
          tx.mfaFactors.create(aTotpFactor('t1', 'u1', 'f2'));
          tx.mfaFactors.create({ ...f, user_id: 'u9' });
        })
        .catch((x: unknown) => x);
      expect(isIamError(e, 'conflict')).toBe(true);
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.get('t1', 'f2'))).toBeUndefined();
      const confirmed: TotpFactor = { ...f, status: 'confirmed', confirmed_at: instant(9), last_used_step: 42 };
      await stores.uow.run('eu', async (tx) => tx.mfaFactors.put(confirmed));
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.get('t1', 'f1'))).toEqual(confirmed);
      await stores.uow.run('eu', async (tx) => tx.mfaFactors.delete('t1', 'f1'));
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.listForUser('t1', 'u1'))).toEqual([]);
      expect(await stores.databases.regions.eu.get(MFA_FACTORS, 'f1')).toBeUndefined();
    });

    it('a factor written through another region\'s unit of work is refused (residency)', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      const e = await stores.uow.run('eu', async (tx) => tx.mfaFactors.create(aTotpFactor('t1', 'u1', 'f1'))).catch((x: unknown) => x);
      expect(isIamError(e, 'residency_violation')).toBe(true);
    });
  });

  describe(`RecoveryCodeRepo contract (${backend})`, () => {
    it('stores one set per user exactly; another tenant or user reads nothing; put replaces the whole set; delete removes it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      expect(await stores.uow.run('eu', (tx) => tx.recoveryCodes.get('t1', 'u1'))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.recoveryCodes.put(aSet('t1', 'u1', 's1')));
      const read = await stores.uow.run('eu', async (tx) => ({
        mine: await tx.recoveryCodes.get('t1', 'u1'),
        otherUser: await tx.recoveryCodes.get('t1', 'u2'),
        otherTenant: await tx.recoveryCodes.get('t2', 'u1'),
      }));
      expect(read).toEqual({ mine: aSet('t1', 'u1', 's1'), otherUser: undefined, otherTenant: undefined });
      const next: RecoveryCodeSet = { ...aSet('t1', 'u1', 's2'), codes: [{ hash: 'bmV3', used_at: null }] };
      await stores.uow.run('eu', async (tx) => tx.recoveryCodes.put(next));
      expect(await stores.uow.run('eu', (tx) => tx.recoveryCodes.get('t1', 'u1'))).toEqual(next);
      await stores.uow.run('eu', async (tx) => tx.recoveryCodes.delete('t1', 'u1'));
      expect(await stores.uow.run('eu', (tx) => tx.recoveryCodes.get('t1', 'u1'))).toBeUndefined();
    });
  });

  describe(`MfaAttemptRepo contract (${backend})`, () => {
    it('stores a counter exactly under its key, keeps scopes, users and tenants apart, and resets it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const keys = attemptKeys('t1', 'u1', 'tok');
      const counter: MfaAttemptCounter = { ...keys.token, user_id: 'u1', failures: 3, window_started_at: instant(0), locked_until: null, expires_at: instant(900) };
      await stores.uow.run('eu', async (tx) => tx.mfaAttempts.put(counter));
      expect(await stores.uow.run('eu', (tx) => tx.mfaAttempts.get(keys.token))).toEqual(counter);
      for (const k of [keys.user, attemptKeys('t2', 'u1', 'tok').token, attemptKeys('t1', 'u2', 'other').token]) {
        expect(await stores.uow.run('eu', (tx) => tx.mfaAttempts.get(k))).toBeUndefined();
      }
      const raw = await stores.databases.regions.eu.get(MFA_ATTEMPTS, mfaAttemptId(keys.token));
      expect(Object.keys(raw ?? {}).sort()).toEqual(['expires_at', 'failures', 'locked_until', 'scope', 'subject', 'tenant_id', 'user_id', 'window_started_at']);
      await stores.uow.run('eu', async (tx) => tx.mfaAttempts.reset(keys.token));
      expect(await stores.uow.run('eu', (tx) => tx.mfaAttempts.get(keys.token))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.mfaAttempts.reset(keys.token)); // resetting nothing is no error
    });
  });

  describe(`MFA use cases under concurrency (${backend})`, () => {
    it(`8 parallel wrong TOTP guesses with one mfa_token: exactly ${MFA_TOKEN_MAX_FAILURES} are checked and counted`, async () => {
      const w = await mfaWorld(await makeStores());
      await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
      const { secret } = await w.enrolConfirmed('acme', 'alice');
      const valid = new Set(await Promise.all([-1, 0, 1].map((o) => w.codeOfStep(secret, o))));
      const wrong = ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c)) as string;
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => verifyTotp(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: 'tok', code: wrong })));
      expect(outcomes.filter((o) => o.kind === 'invalid_code')).toHaveLength(MFA_TOKEN_MAX_FAILURES);
      expect(outcomes.filter((o) => o.kind === 'token_exhausted')).toHaveLength(8 - MFA_TOKEN_MAX_FAILURES);
      const keys = attemptKeys('acme', 'alice', 'tok');
      const [t, u] = await w.stores.uow.run('eu', async (tx) => [await tx.mfaAttempts.get(keys.token), await tx.mfaAttempts.get(keys.user)]);
      expect([t?.failures, u?.failures]).toEqual([MFA_TOKEN_MAX_FAILURES, MFA_TOKEN_MAX_FAILURES]);
    }, 120_000);

    it('4 parallel uses of one TOTP code and of one recovery code: each is accepted once', async () => {
      const w = await mfaWorld(await makeStores());
      await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
      const { secret } = await w.enrolConfirmed('acme', 'alice');
      const code = await w.code(secret);
      const totp = await Promise.all(Array.from({ length: 4 }, (_, i) => verifyTotp(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: `t${i}`, code })));
      expect(totp.map((o) => o.kind).sort()).toEqual(['replayed', 'replayed', 'replayed', 'verified']);
      const generated = await generateRecoveryCodes(w.deps, { tenantId: 'acme', userId: 'alice', actor: { type: 'user', id: 'alice' }, requestId: null });
      if (generated.kind !== 'generated') throw new Error(generated.kind);
      const rc = generated.codes[0] as string;
      const rec = await Promise.all(
        Array.from({ length: 4 }, (_, i) => useRecoveryCode(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: `r${i}`, code: rc, requestId: null })),
      );
      expect(rec.map((o) => o.kind).sort()).toEqual(['used_code', 'used_code', 'used_code', 'verified']);
    }, 120_000);
  });
}
