/**
 * Cached risk decisions, in the tenant's region: collection `risk_cache`,
 * one document per (tenant, user, network pseudonym), id
 * `<tenant>:<user>:<network_key>` (each part URI-encoded). The network is
 * the SHA-256 pseudonym of the /24 or /48: no address is stored
 * (`mfa/risk/risk-cache.ts`). An entry is overwritten when the same user
 * comes back from the same network; erasure removes the user's entries.
 */
import type { RiskCacheEntry } from '../../domain/mfa/risk/risk-cache.ts';
import type { RiskCacheRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding cached decisions. */
export const RISK_CACHE = 'risk_cache';

/** The document id of one cached decision. */
export function riskCacheId(tenantId: string, userId: string, networkKey: string): string {
  return [tenantId, userId, networkKey].map(encodeURIComponent).join(':');
}

/** The risk cache repository of one transaction. */
export function riskCacheRepo(tx: DocTransaction): RiskCacheRepo {
  return {
    async get(tenantId, userId, networkKey) {
      const doc = await tx.get(RISK_CACHE, riskCacheId(tenantId, userId, networkKey));
      return doc === undefined || doc['tenant_id'] !== tenantId || doc['user_id'] !== userId ? undefined : (doc as unknown as RiskCacheEntry);
    },
    put(entry) {
      const { tenant_id, user_id, network_key, fingerprint, level, rules, classifier, decided_at, expires_at } = entry;
      tx.set(RISK_CACHE, riskCacheId(tenant_id, user_id, network_key), {
        tenant_id,
        user_id,
        network_key,
        fingerprint,
        level,
        rules,
        classifier,
        decided_at,
        expires_at,
      });
    },
    delete(tenantId, userId, networkKey) {
      tx.delete(RISK_CACHE, riskCacheId(tenantId, userId, networkKey));
    },
    async deleteForUser(tenantId, userId) {
      // Equality filters only: single-field indexes serve it.
      const found = await tx.query(RISK_CACHE, {
        where: [
          ['tenant_id', '==', tenantId],
          ['user_id', '==', userId],
        ],
      });
      for (const f of found) tx.delete(RISK_CACHE, f.id);
      return found.length;
    },
  };
}
