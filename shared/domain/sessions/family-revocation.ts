/**
 * Revoking one session family from the refresh path: reuse detection
 * (`iam.session.reuse_detected.v1`), a revocation epoch reached on refresh and
 * RFC 7009 revocation (`iam.session.revoked.v1`). The family gets
 * `revoked_at`/`revoked_reason`; the outbox event and the audit event go in
 * the same transaction. The refresh refuses every token of a revoked family,
 * so one write to the family makes all of them unusable.
 */
import { EVENT_SOURCE, type Actor, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Random, TxRepos } from '../ports.ts';
import type { SessionFamily } from './session.ts';

/** The event of a detected refresh-token reuse (the family is revoked with it). */
export const REUSE_DETECTED_EVENT = 'iam.session.reuse_detected.v1';
/** The event of one revoked family. */
export const FAMILY_REVOKED_EVENT = 'iam.session.revoked.v1';

/** Why the refresh path revoked a family. */
export type FamilyRevocationReason = 'reuse_detected' | 'platform_epoch' | 'tenant_epoch' | 'token_revoked';

/** The service actor of revocations the refresh decides by itself. */
export const REFRESH_ACTOR: Actor = { type: 'service', id: 'refresh' };

/** Ids made before the transaction (which may run more than once). */
export interface FamilyRevocationIds {
  readonly eventId: string;
  readonly auditId: string;
}

/** Fresh ids for one revocation. */
export function familyRevocationIds(random: Random): FamilyRevocationIds {
  return { eventId: random.uuid(), auditId: random.uuid() };
}

/** The facts of one revocation. */
export interface FamilyRevocationFacts {
  readonly reason: FamilyRevocationReason;
  readonly actor: Actor;
  /** ISO instant. */
  readonly at: string;
  readonly requestId: string | null;
  /** Extra, non-secret details for the event and the audit (a masked IP, a token hash). */
  readonly details?: Readonly<Record<string, string | null>>;
}

/**
 * Inside a transaction, after its reads: buffers the revoked family, its
 * outbox event and its audit event. Returns the family as written.
 */
export function writeFamilyRevocation(tx: TxRepos, family: SessionFamily, facts: FamilyRevocationFacts, ids: FamilyRevocationIds): SessionFamily {
  const revoked: SessionFamily = { ...family, revoked_at: facts.at, revoked_reason: facts.reason };
  const type = facts.reason === 'reuse_detected' ? REUSE_DETECTED_EVENT : FAMILY_REVOKED_EVENT;
  const event: DomainEvent = {
    id: ids.eventId,
    type,
    source: EVENT_SOURCE,
    subject: `session/${family.session_id}`,
    time: facts.at,
    tenant_id: family.tenant_id,
    ordering_key: `user/${family.user_id}`,
    data: {
      tenant_id: family.tenant_id,
      user_id: family.user_id,
      session_id: family.session_id,
      client_id: family.client_id,
      reason: facts.reason,
      actor: { type: facts.actor.type, id: facts.actor.id },
      revoked_at: facts.at,
      ...facts.details,
    },
  };
  const audit: AuditEvent = {
    id: ids.auditId,
    tenant_id: family.tenant_id,
    at: facts.at,
    actor: { type: facts.actor.type, id: facts.actor.id },
    action: facts.reason === 'reuse_detected' ? 'session.reuse_detected' : 'session.revoked',
    target: `session/${family.session_id}`,
    event_id: ids.eventId,
    request_id: facts.requestId,
    details: { user_id: family.user_id, client_id: family.client_id, reason: facts.reason, device: family.device, ...facts.details },
  };
  tx.sessions.put(revoked);
  tx.outbox.add(event, facts.at);
  tx.audit.add(audit);
  return revoked;
}
