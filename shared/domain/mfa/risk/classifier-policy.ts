/**
 * How an AI classifier's answer enters a decision: it can ONLY RAISE THE BAR
 * (SPEC section 4 item 5, risk R-20).
 *
 * The answer is turned into a level of its own and the decision is the
 * higher of that and the rules' level, so no answer ("lower", a score of 0,
 * anything) can bring a decision below what the rules asked for. The
 * classifier's own level is capped at `hardware_step_up`: it never refuses
 * an attempt, and a suggested lock is never applied. A "lock" only asks for
 * a human review (collection `risk_reviews`) next to a hardware step-up.
 */
import type { RiskSuggestion } from '../../ports.ts';
import { maxLevel, type RiskLevel } from './risk-level.ts';
import type { RiskFeatures, RuleId } from './rules.ts';
import type { RiskEvent } from './sightings.ts';

/** The suggestions, for exhaustive tests and validation. */
export const RISK_SUGGESTIONS: readonly RiskSuggestion[] = ['lower', 'same', 'raise', 'lock'];

/**
 * What the classifier is told (no user id, no address, no device id): the
 * tenant, a pseudonym of the user, the masked network and the rules' facts.
 */
export interface RiskSignals {
  readonly tenant_id: string;
  /** base64url SHA-256 of (tenant, user): stable per user, not the user id. */
  readonly subject: string;
  readonly event: RiskEvent;
  /** The /24 or /48, or `unknown`. */
  readonly network: string;
  readonly rules_level: RiskLevel;
  readonly rules: readonly RuleId[];
  readonly features: RiskFeatures;
}

/** Why the classifier did or did not take part in a decision. */
export type ClassifierStatus =
  /** It answered in time. */
  | 'ok'
  /** It did not answer within the timeout. */
  | 'timeout'
  /** It answered with an error status or an invalid body, or could not be reached. */
  | 'error'
  /** The tenant's classifier budget for this minute is spent. */
  | 'over_budget'
  /** Recent timeouts or errors opened the circuit breaker. */
  | 'circuit_open'
  /** No classifier is configured. */
  | 'disabled'
  /** The rules already refused the attempt: asking would not change anything. */
  | 'skipped';

/** The classifier's part in a decision, as logged and audited. */
export interface ClassifierProvenance {
  readonly status: ClassifierStatus;
  readonly model?: string;
  readonly score?: number;
  readonly suggestion?: RiskSuggestion;
  /** For `error`: what went wrong (`http_500`, `invalid_response`, `network`). */
  readonly reason?: string;
  readonly latency_ms?: number;
}

/** The level a suggestion stands for, given the rules' level. Never `deny_pending_review`. */
export function suggestionLevel(suggestion: RiskSuggestion, rulesLevel: RiskLevel): RiskLevel {
  switch (suggestion) {
    case 'lower':
      return 'allow';
    case 'same':
      return rulesLevel === 'deny_pending_review' ? 'hardware_step_up' : rulesLevel;
    case 'raise':
      return rulesLevel === 'allow' ? 'step_up' : 'hardware_step_up';
    case 'lock':
      return 'hardware_step_up';
  }
}

/** A decision after the classifier. */
export interface CombinedDecision {
  readonly level: RiskLevel;
  /** True when a human review must be queued (the classifier suggested a lock). */
  readonly review: boolean;
}

/** The final level: the higher of the rules' level and the classifier's. */
export function combineWithClassifier(rulesLevel: RiskLevel, suggestion: RiskSuggestion | undefined): CombinedDecision {
  if (suggestion === undefined) return { level: rulesLevel, review: false };
  return { level: maxLevel(rulesLevel, suggestionLevel(suggestion, rulesLevel)), review: suggestion === 'lock' };
}
