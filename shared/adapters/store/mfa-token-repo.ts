/**
 * Pending `mfa_token`s, in the tenant's region: collection `mfa_tokens`, the
 * document id is the token's hash. The token value is never stored.
 */
import type { MfaTokenRecord } from '../../domain/login/one-time-tokens.ts';
import type { MfaTokenRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding pending MFA steps. */
export const MFA_TOKENS = 'mfa_tokens';

/** The `mfa_token` repository of one transaction. */
export function mfaTokenRepo(tx: DocTransaction): MfaTokenRepo {
  return {
    async get(tenantId, tokenHash) {
      const doc = await tx.get(MFA_TOKENS, tokenHash);
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as MfaTokenRecord);
    },
    create(record) {
      tx.create(MFA_TOKENS, record.token_hash, { ...record });
    },
    delete(_tenantId, tokenHash) {
      // The residency guard reads the stored document and checks its tenant before the delete applies.
      tx.delete(MFA_TOKENS, tokenHash);
    },
  };
}
