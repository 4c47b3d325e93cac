/**
 * The human review queue of risk decisions, in the tenant's region:
 * collection `risk_reviews`, one document per item id
 * (`mfa/risk/risk-review.ts`). Items carry the masked network, never an
 * address. `listOpen` needs the composite index
 * `risk_reviews (tenant_id ↑, status ↑, created_at ↑)` (docs/adaptive-mfa.md).
 */
import type { RiskReview } from '../../domain/mfa/risk/risk-review.ts';
import type { RiskReviewRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding review items. */
export const RISK_REVIEWS = 'risk_reviews';

/** The review repository of one transaction. */
export function riskReviewRepo(tx: DocTransaction): RiskReviewRepo {
  const forUser = (tenantId: string, userId: string, open: boolean) =>
    tx.query(RISK_REVIEWS, {
      where: [['tenant_id', '==', tenantId], ['user_id', '==', userId], ...(open ? [['status', '==', 'open'] as const] : [])],
    });
  return {
    async get(tenantId, id) {
      const doc = await tx.get(RISK_REVIEWS, id);
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as RiskReview);
    },
    async openForUser(tenantId, userId) {
      const found = await forUser(tenantId, userId, true);
      // At most one is open by construction; the oldest wins if a race made two.
      const items = found.map((f) => f.data as unknown as RiskReview).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
      return items[0];
    },
    async listOpen(tenantId, limit) {
      const found = await tx.query(RISK_REVIEWS, {
        where: [
          ['tenant_id', '==', tenantId],
          ['status', '==', 'open'],
        ],
        orderBy: [['created_at', 'asc']],
        limit,
      });
      return found.map((f) => f.data as unknown as RiskReview);
    },
    create(review) {
      tx.create(RISK_REVIEWS, review.id, { ...review });
    },
    put(review) {
      tx.set(RISK_REVIEWS, review.id, { ...review });
    },
    async deleteForUser(tenantId, userId) {
      const found = await forUser(tenantId, userId, false);
      for (const f of found) tx.delete(RISK_REVIEWS, f.id);
      return found.length;
    },
  };
}
