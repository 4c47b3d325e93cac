/**
 * WebAuthn challenges, in the tenant's region: collection
 * `webauthn_challenges`, document id `<tenant>:<purpose>:<subject>`
 * (`shared/domain/mfa/webauthn/challenge.ts`). Set a Firestore TTL policy on
 * `webauthn_challenges.expires_at`: the verify step deletes a used challenge,
 * the TTL removes abandoned ones.
 */
import type { WebAuthnChallenge } from '../../domain/mfa/webauthn/challenge.ts';
import type { WebAuthnChallengeRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding live WebAuthn challenges. */
export const WEBAUTHN_CHALLENGES = 'webauthn_challenges';

/** The WebAuthn challenge repository of one transaction. */
export function webauthnChallengeRepo(tx: DocTransaction): WebAuthnChallengeRepo {
  return {
    async get(tenantId, key) {
      const doc = await tx.get(WEBAUTHN_CHALLENGES, key);
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as WebAuthnChallenge);
    },
    put(challenge) {
      tx.set(WEBAUTHN_CHALLENGES, challenge.key, { ...challenge });
    },
    delete(_tenantId, key) {
      // The residency guard reads the stored document and checks its tenant before the delete applies.
      tx.delete(WEBAUTHN_CHALLENGES, key);
    },
  };
}
