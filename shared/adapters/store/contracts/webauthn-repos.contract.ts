/**
 * The contracts of {@link WebAuthnChallengeRepo} and
 * `MfaFactorRepo.findByCredentialId`: challenges stored exactly, replaced per
 * binding, deleted, and never returned to another tenant; credentials found
 * by id within their tenant only.
 */
import { describe, expect, it } from 'vitest';
import type { WebAuthnFactor } from '../../../domain/mfa/factor.ts';
import { challengeKey, type WebAuthnChallenge } from '../../../domain/mfa/webauthn/challenge.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

function aChallenge(tenantId: string, subject: string, challenge: string): WebAuthnChallenge {
  return {
    key: challengeKey(tenantId, 'authentication', subject),
    tenant_id: tenantId,
    user_id: 'u1',
    purpose: 'authentication',
    subject,
    challenge,
    user_verification: 'required',
    created_at: instant(0),
    expires_at: instant(300),
  };
}

function aCredential(tenantId: string, factorId: string, credentialId: string): WebAuthnFactor {
  return {
    tenant_id: tenantId,
    user_id: 'u1',
    factor_id: factorId,
    type: 'webauthn',
    status: 'confirmed',
    created_at: instant(0),
    confirmed_at: instant(0),
    last_used_at: null,
    credential_id: credentialId,
    public_key: 'cHVibGljLWtleQ',
    sign_count: 3,
    transports: ['internal'],
    uv: true,
  };
}

/** Runs the WebAuthn repository contracts against a backend. */
export function webauthnReposContract(backend: string, makeStores: StoresFactory): void {
  describe(`WebAuthnChallengeRepo contract (${backend})`, () => {
    it('stores a challenge exactly, replaces it per binding, deletes it, and keeps tenants apart', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const first = aChallenge('t1', 'hash-1', 'Y2hhbGxlbmdlLTE');
      await stores.uow.run('eu', async (tx) => tx.webauthnChallenges.put(first));
      expect(await stores.uow.run('eu', (tx) => tx.webauthnChallenges.get('t1', first.key))).toEqual(first);
      expect(await stores.uow.run('eu', (tx) => tx.webauthnChallenges.get('t2', first.key))).toBeUndefined();

      const second = { ...first, challenge: 'Y2hhbGxlbmdlLTI' };
      await stores.uow.run('eu', async (tx) => tx.webauthnChallenges.put(second));
      expect((await stores.uow.run('eu', (tx) => tx.webauthnChallenges.get('t1', first.key)))?.challenge).toBe('Y2hhbGxlbmdlLTI');

      await stores.uow.run('eu', async (tx) => tx.webauthnChallenges.delete('t1', first.key));
      expect(await stores.uow.run('eu', (tx) => tx.webauthnChallenges.get('t1', first.key))).toBeUndefined();
    });
  });

  describe(`MfaFactorRepo.findByCredentialId contract (${backend})`, () => {
    it('finds a credential by id within its tenant only', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const mine = aCredential('t1', 'f-1', 'Y3JlZC0x');
      const theirs = aCredential('t2', 'f-2', 'Y3JlZC0y');
      await stores.uow.run('eu', async (tx) => tx.mfaFactors.create(mine));
      await stores.uow.run('eu', async (tx) => tx.mfaFactors.create(theirs));
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.findByCredentialId('t1', 'Y3JlZC0x'))).toEqual(mine);
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.findByCredentialId('t1', 'Y3JlZC0y'))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.findByCredentialId('t2', 'Y3JlZC0y'))).toEqual(theirs);
      expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.findByCredentialId('t1', 'bm9uZQ'))).toBeUndefined();
    });
  });
}
