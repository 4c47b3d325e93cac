/**
 * Unredeemed magic links, in the tenant's region: collection `magic_links`,
 * the document id is the token's hash. The token value is never stored.
 */
import type { MagicLinkRecord } from '../../domain/login/one-time-tokens.ts';
import type { MagicLinkRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding magic links. */
export const MAGIC_LINKS = 'magic_links';

/** The magic-link repository of one transaction. */
export function magicLinkRepo(tx: DocTransaction): MagicLinkRepo {
  return {
    async get(tenantId, tokenHash) {
      const doc = await tx.get(MAGIC_LINKS, tokenHash);
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as MagicLinkRecord);
    },
    create(record) {
      tx.create(MAGIC_LINKS, record.token_hash, { ...record });
    },
    delete(_tenantId, tokenHash) {
      // The residency guard reads the stored document and checks its tenant before the delete applies.
      tx.delete(MAGIC_LINKS, tokenHash);
    },
  };
}
