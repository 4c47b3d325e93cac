/**
 * The human review queue (collection `risk_reviews`, in the tenant's region).
 *
 * Nothing automatic ever locks an account on a risk signal. When the
 * classifier suggests a lock, or the rules refuse an attempt pending review,
 * an item is queued here with its provenance and a person decides. One open
 * item per user: later occurrences add to it (`occurrences`, `last_at`).
 */
import type { ClassifierProvenance } from './classifier-policy.ts';
import type { RiskLevel } from './risk-level.ts';
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
