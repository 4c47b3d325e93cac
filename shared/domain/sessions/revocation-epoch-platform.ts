/**
 * The platform revokes every session family of every tenant (SPEC section 4
 * item 3; `iamctl keys rotate --emergency --revoke-sessions`, and
 * `iamctl sessions revoke --all`): it raises the platform revocation epoch in
 * the platform database. One document write, whatever the number of
 * sessions, with its audit event and `iam.session.mass_revoked.v1` in the
 * same transaction. Families are refused on their next refresh
 * (`isRevokedByEpoch`).
 */
import { EVENT_SOURCE, type Actor, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Clock, PlatformTxRepos, PlatformUnitOfWork, Random } from '../ports.ts';
import { PLATFORM_SCOPE, raiseEpoch, type RevocationEpoch } from './revocation-epoch.ts';

/** The event of a mass revocation (platform or tenant). */
export const MASS_REVOKED_EVENT = 'iam.session.mass_revoked.v1';

/** What {@link revokeAllSessions} needs. */
export interface RevokeAllSessionsDeps {
  readonly platformUow: PlatformUnitOfWork;
  readonly clock: Clock;
  readonly random: Random;
}

/** Who revokes, and why. */
export interface RevokeAllSessionsInput {
  readonly actor: Actor;
  /** `key_compromise`, `incident`, ... (recorded, and sent in the event). */
  readonly reason: string;
  readonly requestId?: string | null;
}

/** The facts of a platform revocation, fixed before the transaction (which may run again). */
export interface PlatformRevocationFacts extends RevokeAllSessionsInput {
  /** ISO instant: sessions created up to it are revoked. */
  readonly at: string;
  readonly eventId: string;
  readonly auditId: string;
}

/** The facts of a revocation happening now. */
export function platformRevocationFacts(deps: Pick<RevokeAllSessionsDeps, 'clock' | 'random'>, input: RevokeAllSessionsInput): PlatformRevocationFacts {
  return { ...input, at: new Date(deps.clock.now()).toISOString(), eventId: deps.random.uuid(), auditId: deps.random.uuid() };
}

/** Revokes every session family created up to now. Returns the epoch as stored. */
export async function revokeAllSessions(deps: RevokeAllSessionsDeps, input: RevokeAllSessionsInput): Promise<RevocationEpoch> {
  const facts = platformRevocationFacts(deps, input);
  return deps.platformUow.run(async (tx) => {
    const stored = await tx.revocationEpochs.get(PLATFORM_SCOPE);
    return writePlatformRevocation(tx, stored, facts);
  });
}

/**
 * Inside a platform transaction, after its reads: buffers the raised epoch,
 * its event and its audit event. For callers combining it with other records
 * (a key rotation), which read the stored epoch first.
 */
export function writePlatformRevocation(tx: PlatformTxRepos, stored: RevocationEpoch | undefined, facts: PlatformRevocationFacts): RevocationEpoch {
  const epoch = raiseEpoch(stored, { scope: PLATFORM_SCOPE, at: facts.at, actor: facts.actor, reason: facts.reason });
  tx.revocationEpochs.put(epoch);
  tx.outbox.add(massRevokedEvent(epoch, facts.eventId), facts.at);
  tx.audit.add(massRevokedAudit(epoch, facts.auditId, facts.eventId, facts.requestId ?? null));
  return epoch;
}

/** `iam.session.mass_revoked.v1` for a raised epoch (platform or tenant). */
export function massRevokedEvent(epoch: RevocationEpoch, id: string): DomainEvent {
  const platform = epoch.tenant_id === PLATFORM_SCOPE;
  const aggregate = platform ? 'platform/sessions' : `tenant/${epoch.tenant_id}`;
  return {
    id,
    type: MASS_REVOKED_EVENT,
    source: EVENT_SOURCE,
    subject: aggregate,
    time: epoch.set_at,
    tenant_id: epoch.tenant_id,
    ordering_key: aggregate,
    data: { scope: platform ? 'platform' : 'tenant', tenant_id: epoch.tenant_id, epoch: epoch.epoch, reason: epoch.reason, version: epoch.version },
  };
}

/** The audit event of a raised epoch. */
export function massRevokedAudit(epoch: RevocationEpoch, id: string, eventId: string, requestId: string | null): AuditEvent {
  return {
    id,
    tenant_id: epoch.tenant_id,
    at: epoch.set_at,
    actor: epoch.actor,
    action: 'sessions.mass_revoked',
    target: epoch.tenant_id === PLATFORM_SCOPE ? 'platform/sessions' : `tenant/${epoch.tenant_id}/sessions`,
    event_id: eventId,
    request_id: requestId,
    details: { epoch: epoch.epoch, reason: epoch.reason, version: epoch.version },
  };
}
