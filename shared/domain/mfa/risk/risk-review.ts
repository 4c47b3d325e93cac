/**
 * The human review queue (collection `risk_reviews`, in the tenant's region).
 *
 * Nothing automatic ever locks an account on a risk signal. When the
 * classifier suggests a lock, or the rules refuse an attempt pending review,
 * an item is queued here with its provenance and a person decides. One open
 * item per user: later occurrences add to it (`occurrences`, `last_at`).
 */
import type { TxRepos } from '../../ports.ts';
import type { ClassifierProvenance } from './classifier-policy.ts';
import { maxLevel, type RiskLevel } from './risk-level.ts';
import type { RuleHit } from './rules.ts';
import type { RiskEvent } from './sightings.ts';

/** The state of a review item. */
export type RiskReviewStatus = 'open' | 'dismissed' | 'confirmed';

/** Why an item was queued. */
export type RiskReviewReason =
  /** The classifier suggested a lock; the attempt got a hardware step-up instead. */
  | 'classifier_lock'
  /** The rules refused the attempt (`deny_pending_review`). */
  | 'rules_deny';

/** One review item. */
export interface RiskReview {
  readonly id: string;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly status: RiskReviewStatus;
  readonly reason: RiskReviewReason;
  /** The decision applied to the attempt that queued the item. */
  readonly level: RiskLevel;
  readonly event: RiskEvent;
  readonly rules: readonly RuleHit[];
  readonly classifier: ClassifierProvenance;
  /** The masked /24 or /48 of the attempt (never the address). */
  readonly network: string;
  readonly request_id: string | null;
  /** Attempts that asked for this review while it was open. */
  readonly occurrences: number;
  readonly created_at: string;
  readonly last_at: string;
  readonly resolved_at: string | null;
  /** Who resolved it (an admin id). */
  readonly resolved_by: string | null;
}

/** What queues a review. */
export interface QueueReviewInput {
  /** Fresh ids for a new item and its audit event (made outside the transaction). */
  readonly ids: { readonly review: string; readonly audit: string };
  /** The user's open item, read earlier in the same transaction. */
  readonly open: RiskReview | undefined;
  readonly reason: RiskReviewReason;
  readonly userId: string;
  readonly tenantId: string;
  readonly level: RiskLevel;
  readonly rules: readonly RuleHit[];
  readonly classifier: ClassifierProvenance;
  readonly event: RiskEvent;
  readonly network: string;
  readonly requestId: string | null;
  readonly at: string;
}

/**
 * Buffers the review writes of one attempt: a new item with its audit event,
 * or one more occurrence on the user's open item. Returns the item's id.
 * Never touches the account: the lock is a human's decision.
 */
export function queueReview(tx: Pick<TxRepos, 'riskReviews' | 'audit'>, q: QueueReviewInput): string {
  if (q.open !== undefined) {
    tx.riskReviews.put({ ...q.open, occurrences: q.open.occurrences + 1, last_at: q.at, level: maxLevel(q.open.level, q.level) });
    return q.open.id;
  }
  tx.riskReviews.create({
    id: q.ids.review,
    tenant_id: q.tenantId,
    user_id: q.userId,
    status: 'open',
    reason: q.reason,
    level: q.level,
    event: q.event,
    rules: q.rules,
    classifier: q.classifier,
    network: q.network,
    request_id: q.requestId,
    occurrences: 1,
    created_at: q.at,
    last_at: q.at,
    resolved_at: null,
    resolved_by: null,
  });
  tx.audit.add({
    id: q.ids.audit,
    tenant_id: q.tenantId,
    at: q.at,
    actor: { type: 'service', id: 'risk-engine' },
    action: 'risk.review_requested',
    target: `user/${q.userId}`,
    event_id: null,
    request_id: q.requestId,
    details: { review_id: q.ids.review, reason: q.reason, level: q.level, rules: q.rules.map((h) => h.rule), classifier: q.classifier, network: q.network },
  });
  return q.ids.review;
}
