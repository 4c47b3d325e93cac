/**
 * Lockout counters, in the tenant's region: collection `lockouts`, document id
 * `<tenant>:<email_hash>:<ip_hash>`. Only hashes are stored: no email and no
 * IP address appears in a document or its id.
 */
import type { LockoutCounter, LockoutKey } from '../../domain/login/lockout.ts';
import type { LockoutRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding lockout counters. */
export const LOCKOUTS = 'lockouts';

/** The document id of a counter. */
export function lockoutId(key: LockoutKey): string {
  return `${key.tenant_id}:${key.email_hash}:${key.ip_hash}`;
}

/** The lockout repository of one transaction. */
export function lockoutRepo(tx: DocTransaction): LockoutRepo {
  return {
    async get(key) {
      const doc = await tx.get(LOCKOUTS, lockoutId(key));
      return doc === undefined || doc['tenant_id'] !== key.tenant_id ? undefined : (doc as unknown as LockoutCounter);
    },
    put(counter) {
      const { tenant_id, email_hash, ip_hash, failures, window_started_at, updated_at, locked_until } = counter;
      tx.set(LOCKOUTS, lockoutId(counter), { tenant_id, email_hash, ip_hash, failures, window_started_at, updated_at, locked_until });
    },
    reset(key) {
      tx.delete(LOCKOUTS, lockoutId(key));
    },
    async clearAccount(tenantId, emailHash) {
      const found = await tx.query(LOCKOUTS, {
        where: [
          ['tenant_id', '==', tenantId],
          ['email_hash', '==', emailHash],
        ],
      });
      for (const f of found) tx.delete(LOCKOUTS, f.id);
      return found.length;
    },
  };
}
