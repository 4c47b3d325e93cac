/**
 * Records a signing-key rotation (risk R-06): the audit event with its actor
 * and `iam.keys.rotated.v1`, in one transaction of the platform database
 * (the rotation is platform-wide: `tenant_id` `_platform`). An emergency
 * rotation may also revoke every session family created up to now by
 * raising the platform revocation epoch, in the same transaction.
 */
import { EVENT_SOURCE, type Actor, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Clock, PlatformUnitOfWork, Random } from '../ports.ts';
import { platformRevocationFacts, writePlatformRevocation } from '../sessions/revocation-epoch-platform.ts';
import { PLATFORM_SCOPE, type RevocationEpoch } from '../sessions/revocation-epoch.ts';
import type { RotationMode } from './rotate-keys.ts';

/** The event of every rotation. */
export const KEYS_ROTATED_EVENT = 'iam.keys.rotated.v1';
/** The aggregate (subject and ordering key) of key events. */
export const SIGNING_KEYS_AGGREGATE = 'keys/jwt-signing';

/** What a rotation did, by kid. */
export interface KeyRotationFacts {
  readonly mode: RotationMode;
  /** Which ring rotated. */
  readonly signer: 'local' | 'kms';
  readonly current: string;
  readonly next: string;
  readonly previous: string | undefined;
  /** Kids no longer published. */
  readonly retired: readonly string[];
}

/** What {@link recordKeyRotation} needs. */
export interface RecordKeyRotationDeps {
  readonly platformUow: PlatformUnitOfWork;
  readonly clock: Clock;
  readonly random: Random;
}

/** The rotation, who did it, and whether sessions go with the key. */
export interface RecordKeyRotationInput {
  readonly rotation: KeyRotationFacts;
  /** `{type: 'platform', id: <operator>}` for iamctl. */
  readonly actor: Actor;
  /** Raise the platform revocation epoch too (emergency rotations only). */
  readonly revokeSessions: boolean;
  readonly requestId?: string | null;
}

/** What was recorded. */
export interface RecordedKeyRotation {
  readonly event: DomainEvent;
  /** The raised platform epoch, when sessions were revoked. */
  readonly epoch: RevocationEpoch | undefined;
  /** The outbox ids written (the rotation's, and the revocation's if any). */
  readonly outboxIds: readonly string[];
}

/** Records the rotation. A scheduled rotation never revokes sessions: that is a bug, it throws. */
export async function recordKeyRotation(deps: RecordKeyRotationDeps, input: RecordKeyRotationInput): Promise<RecordedKeyRotation> {
  const { rotation, actor } = input;
  if (input.revokeSessions && rotation.mode !== 'emergency') throw new Error('only an emergency rotation revokes sessions');
  const at = new Date(deps.clock.now()).toISOString();
  const reason = rotation.mode === 'emergency' ? 'key_compromise' : 'key_rotation';
  const revocation = input.revokeSessions ? platformRevocationFacts(deps, { actor, reason, requestId: input.requestId }) : undefined;
  const event: DomainEvent = {
    id: deps.random.uuid(),
    type: KEYS_ROTATED_EVENT,
    source: EVENT_SOURCE,
    subject: SIGNING_KEYS_AGGREGATE,
    time: at,
    tenant_id: PLATFORM_SCOPE,
    ordering_key: SIGNING_KEYS_AGGREGATE,
    data: {
      mode: rotation.mode,
      signer: rotation.signer,
      current_kid: rotation.current,
      next_kid: rotation.next,
      previous_kid: rotation.previous ?? null,
      retired_kids: [...rotation.retired],
      sessions_revoked_before: revocation?.at ?? null,
    },
  };
  const audit: AuditEvent = {
    id: deps.random.uuid(),
    tenant_id: PLATFORM_SCOPE,
    at,
    actor: { type: actor.type, id: actor.id },
    action: 'keys.rotated',
    target: SIGNING_KEYS_AGGREGATE,
    event_id: event.id,
    request_id: input.requestId ?? null,
    details: { ...event.data },
  };
  const epoch = await deps.platformUow.run(async (tx) => {
    // Reads first: the stored epoch, if this rotation raises it.
    const stored = revocation === undefined ? undefined : await tx.revocationEpochs.get(PLATFORM_SCOPE);
    tx.outbox.add(event, at);
    tx.audit.add(audit);
    return revocation === undefined ? undefined : writePlatformRevocation(tx, stored, revocation);
  });
  return { event, epoch, outboxIds: revocation === undefined ? [event.id] : [event.id, revocation.eventId] };
}
