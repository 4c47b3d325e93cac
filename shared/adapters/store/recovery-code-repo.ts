/**
 * Recovery codes, in the tenant's region: collection `recovery_codes`, one
 * document per user, id `<tenant>:<user>` (`shared/domain/mfa/recovery-codes.ts`).
 * Only keyed hashes of the codes are stored. One document per set makes
 * regeneration a single `set` that voids the old codes whole, and a use a
 * read-modify-write of that document, serialised by the transaction.
 */
import type { RecoveryCodeSet } from '../../domain/mfa/recovery-codes.ts';
import type { RecoveryCodeRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding recovery-code sets. */
export const RECOVERY_CODES = 'recovery_codes';

/** The document id of a user's set. */
export function recoveryCodesId(tenantId: string, userId: string): string {
  return `${tenantId}:${userId}`;
}

/** The recovery-code repository of one transaction. */
export function recoveryCodeRepo(tx: DocTransaction): RecoveryCodeRepo {
  return {
    async get(tenantId, userId) {
      const doc = await tx.get(RECOVERY_CODES, recoveryCodesId(tenantId, userId));
      return doc === undefined || doc['tenant_id'] !== tenantId || doc['user_id'] !== userId ? undefined : (doc as unknown as RecoveryCodeSet);
    },
    put(set) {
      tx.set(RECOVERY_CODES, recoveryCodesId(set.tenant_id, set.user_id), { ...set, codes: set.codes.map((c) => ({ ...c })) });
    },
    delete(tenantId, userId) {
      tx.delete(RECOVERY_CODES, recoveryCodesId(tenantId, userId));
    },
  };
}
