/**
 * Second factors, in the tenant's region: collection `mfa_factors`, one
 * document per factor id (`shared/domain/mfa/factor.ts`). TOTP secrets are
 * stored only sealed (`SealedSecret`); WebAuthn credentials share the
 * collection. `listForUser` filters on equality only, so single-field
 * indexes serve it: no composite index.
 */
import type { MfaFactor } from '../../domain/mfa/factor.ts';
import type { MfaFactorRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding factors. */
export const MFA_FACTORS = 'mfa_factors';

/** The factor repository of one transaction. */
export function mfaFactorRepo(tx: DocTransaction): MfaFactorRepo {
  return {
    async get(tenantId, factorId) {
      const doc = await tx.get(MFA_FACTORS, factorId);
      // A factor of another tenant is never returned, whatever id is asked for.
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as MfaFactor);
    },
    async listForUser(tenantId, userId) {
      const found = await tx.query(MFA_FACTORS, {
        where: [
          ['tenant_id', '==', tenantId],
          ['user_id', '==', userId],
        ],
      });
      return found
        .map((f) => f.data as unknown as MfaFactor)
        .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.factor_id < b.factor_id ? -1 : 1));
    },
    create(factor) {
      tx.create(MFA_FACTORS, factor.factor_id, { ...factor });
    },
    put(factor) {
      tx.set(MFA_FACTORS, factor.factor_id, { ...factor });
    },
    async findByCredentialId(tenantId, credentialId) {
      const found = await tx.query(MFA_FACTORS, {
        where: [
          ['tenant_id', '==', tenantId],
          ['credential_id', '==', credentialId],
        ],
        limit: 1,
      });
      return found[0]?.data as unknown as MfaFactor | undefined;
    },
    delete(_tenantId, factorId) {
      // The residency guard reads the stored document and checks its tenant before the delete applies.
      tx.delete(MFA_FACTORS, factorId);
    },
  };
}
