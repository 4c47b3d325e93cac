/**
 * Magic-link quotas, in the tenant's region: collection
 * `magic_link_throttles`, one document per user, id `<tenant>:<user>` (each
 * part URI-encoded). Only ids and instants are stored: no email
 * (`shared/domain/login/magic-link-throttle.ts`). `expires_at` is for a
 * Firestore TTL policy on that field (docs/login.md).
 */
import type { MagicLinkThrottle } from '../../domain/login/magic-link-throttle.ts';
import type { MagicLinkThrottleRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding the quotas. */
export const MAGIC_LINK_THROTTLES = 'magic_link_throttles';

/** The document id of a user's quota. */
export function magicLinkThrottleId(tenantId: string, userId: string): string {
  return `${encodeURIComponent(tenantId)}:${encodeURIComponent(userId)}`;
}

/** The magic-link quota repository of one transaction. */
export function magicLinkThrottleRepo(tx: DocTransaction): MagicLinkThrottleRepo {
  return {
    async get(tenantId, userId) {
      const doc = await tx.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId(tenantId, userId));
      return doc === undefined || doc['tenant_id'] !== tenantId || doc['user_id'] !== userId ? undefined : (doc as unknown as MagicLinkThrottle);
    },
    put(throttle) {
      // Only the known fields are written: nothing else (an address) can ride along.
      const { tenant_id, user_id, sent_at, expires_at } = throttle;
      tx.set(MAGIC_LINK_THROTTLES, magicLinkThrottleId(tenant_id, user_id), { tenant_id, user_id, sent_at, expires_at });
    },
  };
}
