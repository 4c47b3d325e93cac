/**
 * Revoking session families one by one (self-service and `iamctl sessions
 * revoke --user`): each revoked family gets `revoked_at`/`revoked_reason`,
 * the outbox event `iam.session.revoked.v1` and an audit event naming the
 * actor, all in the transaction that revokes it.
 *
 * The refresh refuses a family whose `revoked_at` is set, so a revocation
 * stops its refresh token at once. Access tokens already issued are refused
 * by the routes that check the session (`sessionIsLive`) and otherwise live
 * out their 15 minutes.
 *
 * Many families are revoked in batches of {@link REVOKE_BATCH_SIZE}: each
 * family costs three document writes and a Firestore transaction takes at
 * most 500.
 */
import { EVENT_SOURCE, type Actor, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Random, TxRepos, UnitOfWork } from '../ports.ts';
import type { Region } from '../tenants/tenant.ts';
import type { SessionFamily } from './session.ts';

/** The type of the event of one revoked family. */
export const SESSION_REVOKED_EVENT = 'iam.session.revoked.v1';

/** Families revoked per transaction (3 writes each: family, outbox, audit). */
export const REVOKE_BATCH_SIZE = 100;

/** Why a family was revoked (`revoked_reason`, and in the event and audit). */
export type SessionRevokeReason = 'user_revoked' | 'user_revoked_others' | 'admin_revoked_user';

/** Who revokes, why, and when: fixed before the transaction (which may run again). */
export interface SessionRevocationFacts {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly reason: SessionRevokeReason;
  /** ISO instant of the revocation. */
  readonly at: string;
  readonly requestId: string | null;
}

/** The ids of one family's event and audit event, made before the transaction. */
export interface RevocationIds {
  readonly eventId: string;
  readonly auditId: string;
}

/** Fresh ids for one family's revocation. */
export function revocationIds(random: Random): RevocationIds {
  return { eventId: random.uuid(), auditId: random.uuid() };
}

/** `iam.session.revoked.v1` of one family. */
export function sessionRevokedEvent(session: SessionFamily, facts: SessionRevocationFacts, id: string): DomainEvent {
  return {
    id,
    type: SESSION_REVOKED_EVENT,
    source: EVENT_SOURCE,
    subject: `session/${session.session_id}`,
    time: facts.at,
    tenant_id: session.tenant_id,
    ordering_key: `user/${session.user_id}`,
    data: {
      tenant_id: session.tenant_id,
      user_id: session.user_id,
      session_id: session.session_id,
      reason: facts.reason,
      actor: { type: facts.actor.type, id: facts.actor.id },
      revoked_at: facts.at,
    },
  };
}

/**
 * Inside a transaction, after its reads: buffers the revoked family, its
 * event and its audit event. Returns the family as written.
 */
export function writeSessionRevocation(tx: TxRepos, session: SessionFamily, facts: SessionRevocationFacts, ids: RevocationIds): SessionFamily {
  const revoked: SessionFamily = { ...session, revoked_at: facts.at, revoked_reason: facts.reason };
  const audit: AuditEvent = {
    id: ids.auditId,
    tenant_id: session.tenant_id,
    at: facts.at,
    actor: { type: facts.actor.type, id: facts.actor.id },
    action: 'session.revoked',
    target: `session/${session.session_id}`,
    event_id: ids.eventId,
    request_id: facts.requestId,
    details: { user_id: session.user_id, reason: facts.reason, device: session.device, ip: session.ip },
  };
  tx.sessions.put(revoked);
  tx.outbox.add(sessionRevokedEvent(session, facts, ids.eventId), facts.at);
  tx.audit.add(audit);
  return revoked;
}

/** What {@link revokeFamilies} needs. */
export interface RevokeFamiliesDeps {
  readonly uow: UnitOfWork;
  readonly random: Random;
}

/**
 * Revokes the families `sessionIds` of `userId` in `facts.tenantId`, in
 * batches of {@link REVOKE_BATCH_SIZE}, each its own transaction that reads
 * the families again: one already revoked, gone, or of another user is
 * skipped. Returns how many were revoked and how many transactions wrote.
 */
export async function revokeFamilies(
  deps: RevokeFamiliesDeps,
  region: Region,
  userId: string,
  sessionIds: readonly string[],
  facts: SessionRevocationFacts,
): Promise<{ readonly revoked: number; readonly batches: number }> {
  let revoked = 0;
  let batches = 0;
  for (let i = 0; i < sessionIds.length; i += REVOKE_BATCH_SIZE) {
    const chunk = sessionIds.slice(i, i + REVOKE_BATCH_SIZE);
    const ids = chunk.map(() => revocationIds(deps.random));
    const n = await deps.uow.run(region, async (tx) => {
      const families = await Promise.all(chunk.map((id) => tx.sessions.get(facts.tenantId, id)));
      let count = 0;
      families.forEach((family, k) => {
        if (family === undefined || family.user_id !== userId || family.revoked_at !== null) return;
        writeSessionRevocation(tx, family, facts, ids[k] as RevocationIds);
        count++;
      });
      return count;
    });
    revoked += n;
    if (n > 0) batches++;
  }
  return { revoked, batches };
}
