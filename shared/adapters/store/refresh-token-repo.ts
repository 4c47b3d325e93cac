/**
 * Refresh tokens, in the tenant's region: collection `refresh_tokens`, the
 * document id is the token's hash (`hashOpaqueToken`). The token value is
 * never stored.
 */
import type { RefreshTokenRepo } from '../../domain/ports.ts';
import type { RefreshTokenRecord } from '../../domain/sessions/session.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding refresh token records. */
export const REFRESH_TOKENS = 'refresh_tokens';

/** The refresh token repository of one transaction. */
export function refreshTokenRepo(tx: DocTransaction): RefreshTokenRepo {
  return {
    async get(tenantId, tokenHash) {
      const doc = await tx.get(REFRESH_TOKENS, tokenHash);
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as RefreshTokenRecord);
    },
    create(record) {
      tx.create(REFRESH_TOKENS, record.token_hash, { ...record });
    },
    put(record) {
      tx.set(REFRESH_TOKENS, record.token_hash, { ...record });
    },
    async graceLapsed(before, limit) {
      // One range filter on one field: Firestore's automatic single-field index serves it.
      // A null or absent grace_until (no sealed successor) never matches a string range.
      const found = await tx.query(REFRESH_TOKENS, { where: [['grace_until', '<', before]], orderBy: [['grace_until', 'asc']], limit });
      return found.map((f) => f.data as unknown as RefreshTokenRecord);
    },
  };
}
