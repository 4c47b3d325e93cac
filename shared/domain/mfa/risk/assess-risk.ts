/**
 * `assessRisk`: the one entry point of adaptive MFA (SPEC section 4 item 5;
 * risks ), called by login (`POST /v1/login`) and refresh
 * (`POST /v1/token`) once the credential itself has checked out.
 *
 * 1. A decision cached for the same (user, network), device, event and
 *    failure state within `cacheSeconds` is returned as it is (`cached`).
 * 2. Otherwise the RULES decide a level (`rules.ts`), from the user's
 *    sightings and the GeoIP location of the network.
 * 3. The optional classifier is asked, within the tenant's budget and the
 *    circuit breaker; it can ONLY RAISE the level (`classifier-policy.ts`).
 *    A timeout, an error, an open breaker or a spent budget leaves the
 *    rules alone to decide, and the log and the audit say which.
 * 4. One transaction records the attempt (velocity), the trusted sighting
 *    when the level is `allow`, the cached decision, the audit event and,
 *    for a suggested lock or a refusal, the human review item.
 *
 * How callers map the level: docs/adaptive-mfa.md.
 */
import type { AuditEvent } from '../../outbox/event.ts';
import type { GeoPoint, RiskClassifierOutcome } from '../../ports.ts';
import { sha256base64url } from '../../tokens/opaque-token.ts';
import { combineWithClassifier, RISK_SUGGESTIONS, type ClassifierProvenance, type RiskSignals } from './classifier-policy.ts';
import { cacheFingerprint, cacheHit, type RiskCacheEntry } from './risk-cache.ts';
import { attemptFacts, locate, type AttemptContext, type AttemptFacts, type RiskDeps } from './risk-deps.ts';
import type { RiskLevel } from './risk-level.ts';
import { queueReview, type RiskReviewReason } from './risk-review.ts';
import { evaluateRules, type RuleHit, type RulesDecision } from './rules.ts';
import { emptySightings, noteAttempt, noteTrusted, type RiskEvent } from './sightings.ts';

/** The audit actor of risk decisions. */
export const RISK_ENGINE_ACTOR = { type: 'service', id: 'risk-engine' } as const;

/** One attempt to assess. */
export interface AssessRiskInput extends AttemptContext {
  readonly event: RiskEvent;
  /** Failed attempts counted before this one: the lockout counter's failures minus this attempt's reservation. 0 for a refresh. */
  readonly recentFailures: number;
  /** The request id, for the audit event and the log. */
  readonly requestId?: string;
}

/** The decision. */
export interface RiskAssessment {
  readonly level: RiskLevel;
  /** The rules that hit. */
  readonly rules: readonly RuleHit[];
  readonly classifier: ClassifierProvenance;
  /** True when a decision made within `cacheSeconds` was reused. */
  readonly cached: boolean;
  /** The review item this attempt opened or added to, if any. */
  readonly reviewId: string | null;
}

/** Assesses one login or refresh. Throws only for a storage outage or an unknown tenant. */
export async function assessRisk(deps: RiskDeps, input: AssessRiskInput): Promise<RiskAssessment> {
  const nowMs = deps.clock.now();
  const facts = await attemptFacts(deps, input);
  const fingerprint = cacheFingerprint(input.event, facts.deviceKey, input.recentFailures);
  const read = await deps.uow.run(facts.region, async (tx) => {
    const entry = deps.config.cacheSeconds > 0 ? await tx.riskCache.get(input.tenantId, input.userId, facts.cacheKey) : undefined;
    if (cacheHit(entry, fingerprint, nowMs)) return { cached: entry } as const;
    return { sightings: await tx.riskSightings.get(input.tenantId, input.userId) } as const;
  });
  if (read.cached !== undefined) {
    const hit: RiskAssessment = { level: read.cached.level, rules: read.cached.rules, classifier: read.cached.classifier, cached: true, reviewId: null };
    logDecision(deps, input, facts.masked, hit, read.cached.level);
    return hit;
  }

  const place = await locate(deps, facts.network);
  const rules = evaluateRules(
    { event: input.event, nowMs, deviceKey: facts.deviceKey, networkKey: facts.networkKey, place, sightings: read.sightings, recentFailures: input.recentFailures },
    deps.config.rules,
  );
  const classifier = await consultClassifier(deps, await signalsOf(input, facts, rules), nowMs);
  const combined = combineWithClassifier(rules.level, classifier.status === 'ok' ? classifier.suggestion : undefined);
  const entry: RiskCacheEntry = {
    tenant_id: input.tenantId,
    user_id: input.userId,
    network_key: facts.cacheKey,
    fingerprint,
    level: combined.level,
    rules: rules.hits,
    classifier,
    decided_at: new Date(nowMs).toISOString(),
    expires_at: new Date(nowMs + deps.config.cacheSeconds * 1000).toISOString(),
  };
  const review: RiskReviewReason | undefined = combined.review ? 'classifier_lock' : rules.level === 'deny_pending_review' ? 'rules_deny' : undefined;
  const reviewId = await commitDecision(deps, input, { facts, entry, rules, place, review });
  const decision: RiskAssessment = { level: combined.level, rules: rules.hits, classifier, cached: false, reviewId };
  logDecision(deps, input, facts.masked, decision, rules.level);
  return decision;
}

/** What the classifier is told: no user id, no address, no device id. */
async function signalsOf(input: AssessRiskInput, facts: AttemptFacts, rules: RulesDecision): Promise<RiskSignals> {
  return {
    tenant_id: input.tenantId,
    subject: await sha256base64url(`risk-subject\u0000${input.tenantId}\u0000${input.userId}`),
    event: input.event,
    network: facts.masked,
    rules_level: rules.level,
    rules: rules.hits.map((h) => h.rule),
    features: rules.features,
  };
}

/** A decision ready to be written. */
interface DecisionToCommit {
  readonly facts: AttemptFacts;
  readonly entry: RiskCacheEntry;
  readonly rules: RulesDecision;
  readonly place: GeoPoint | undefined;
  readonly review: RiskReviewReason | undefined;
}

/**
 * One transaction: the attempt (velocity), the trusted sighting for an
 * `allow`, the cached decision, the review item and the audit events.
 * Returns the review item's id, if any.
 */
async function commitDecision(deps: RiskDeps, input: AssessRiskInput, d: DecisionToCommit): Promise<string | null> {
  const { facts, entry } = d;
  const at = entry.decided_at;
  const ids = { audit: deps.random.uuid(), review: deps.random.uuid(), reviewAudit: deps.random.uuid() };
  return deps.uow.run(facts.region, async (tx) => {
    // Re-read in this transaction: parallel attempts never lose each other's velocity count.
    const stored = await tx.riskSightings.get(input.tenantId, input.userId);
    const open = d.review === undefined ? undefined : await tx.riskReviews.openForUser(input.tenantId, input.userId);
    let s = noteAttempt(stored ?? emptySightings(input.tenantId, input.userId, at), { at, event: input.event }, deps.config.rules.velocity.windowSeconds * 1000);
    // Only an attempt let through as it is becomes trusted context; a step-up trusts it once passed (recordSighting).
    if (entry.level === 'allow') s = noteTrusted(s, { at, deviceKey: facts.deviceKey, networkKey: facts.networkKey, place: d.place });
    tx.riskSightings.put(s);
    if (deps.config.cacheSeconds > 0) tx.riskCache.put(entry);
    const queued =
      d.review === undefined
        ? null
        : queueReview(tx, {
            ids: { review: ids.review, audit: ids.reviewAudit },
            open,
            reason: d.review,
            tenantId: input.tenantId,
            userId: input.userId,
            level: entry.level,
            rules: entry.rules,
            classifier: entry.classifier,
            event: input.event,
            network: facts.masked,
            requestId: input.requestId ?? null,
            at,
          });
    tx.audit.add(auditOf(ids.audit, input, facts.masked, entry, d.rules, queued));
    return queued;
  });
}

/** Asks the classifier if it is configured, useful, within budget and not cut off by the breaker. */
async function consultClassifier(deps: RiskDeps, signals: RiskSignals, nowMs: number): Promise<ClassifierProvenance> {
  if (deps.classifier === undefined) return { status: 'disabled' };
  // The rules already refuse: the classifier could not change the outcome, so it costs nothing.
  if (signals.rules_level === 'deny_pending_review') return { status: 'skipped' };
  const admission = deps.breaker.admit(signals.tenant_id, nowMs);
  if (admission !== 'ok') return { status: admission };
  const started = deps.clock.now();
  let outcome: RiskClassifierOutcome;
  try {
    outcome = await deps.classifier.classify(signals);
  } catch {
    outcome = { kind: 'error', reason: 'threw' };
  }
  if (outcome.kind === 'ok' && !(RISK_SUGGESTIONS.includes(outcome.suggestion) && Number.isFinite(outcome.score) && outcome.model !== '')) {
    outcome = { kind: 'error', reason: 'invalid_response' };
  }
  const latency_ms = Math.max(0, deps.clock.now() - started);
  deps.breaker.record(outcome.kind, deps.clock.now());
  if (outcome.kind === 'timeout') return { status: 'timeout', latency_ms };
  if (outcome.kind === 'error') return { status: 'error', reason: outcome.reason, latency_ms };
  return { status: 'ok', model: outcome.model, score: outcome.score, suggestion: outcome.suggestion, latency_ms };
}

function auditOf(id: string, input: AssessRiskInput, network: string, entry: RiskCacheEntry, rules: RulesDecision, reviewId: string | null): AuditEvent {
  return {
    id,
    tenant_id: input.tenantId,
    at: entry.decided_at,
    actor: RISK_ENGINE_ACTOR,
    action: 'risk.assessed',
    target: `user/${input.userId}`,
    event_id: null,
    request_id: input.requestId ?? null,
    details: {
      event: input.event,
      level: entry.level,
      rules_level: rules.level,
      rules: entry.rules,
      classifier: entry.classifier,
      decided_by: decidedBy(entry.classifier),
      network,
      features: rules.features,
      review_id: reviewId,
    },
  };
}

/** Who made the decision: the rules alone, or the rules and the classifier. */
function decidedBy(c: ClassifierProvenance): 'rules' | 'rules+classifier' {
  return c.status === 'ok' ? 'rules+classifier' : 'rules';
}

/** One JSON log line per decision: the provenance, with the masked network only. */
function logDecision(deps: RiskDeps, input: AssessRiskInput, network: string, d: RiskAssessment, rulesLevel: RiskLevel): void {
  const c = d.classifier;
  const degraded = c.status === 'timeout' || c.status === 'error' || c.status === 'over_budget' || c.status === 'circuit_open';
  const fields = {
    tenant_id: input.tenantId,
    user_id: input.userId,
    event: input.event,
    level: d.level,
    rules_level: rulesLevel,
    rules: d.rules.map((h) => h.rule),
    classifier: c.status,
    classifier_model: c.model,
    classifier_score: c.score,
    classifier_suggestion: c.suggestion,
    classifier_reason: c.reason,
    classifier_latency_ms: c.latency_ms,
    decided_by: decidedBy(c),
    cached: d.cached,
    review_id: d.reviewId ?? undefined,
    network,
    request_id: input.requestId,
  };
  if (degraded && !d.cached) deps.log.warn(`risk assessed by the rules alone (classifier: ${c.status})`, fields);
  else deps.log.info('risk assessed', fields);
}
