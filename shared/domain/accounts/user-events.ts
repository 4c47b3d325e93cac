/**
 * The outbox and audit records of a user state change, buffered together in
 * the caller's transaction. Event data carries ids only: no
 * email, no other personal data.
 */
import { EVENT_SOURCE, type Actor, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Random, TxRepos } from '../ports.ts';

/** The user event types iam-service emits. */
export type UserEventType =
  | 'iam.user.created.v1'
  | 'iam.user.roles_changed.v1'
  | 'iam.user.unlocked.v1'
  | 'iam.user.disabled.v1'
  | 'iam.user.password_changed.v1';

/** One user state change to record. */
export interface UserChangeRecord {
  readonly tenantId: string;
  readonly userId: string;
  /** The outbox event type (a user event, or another event about the user such as MFA); null to write the audit event only. */
  readonly type: `iam.${string}.v1` | null;
  /** Event data besides `tenant_id` and `user_id` (ids and role names only). */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The audit action, e.g. `user.created`. */
  readonly action: string;
  readonly actor: Actor;
  readonly requestId: string | null;
  /** Audit details (no PII). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The instant, ISO 8601. */
  readonly at: string;
}

/** Buffers the outbox event (when `type` is set) and the audit event. Returns the event id, or null. */
export function recordUserChange(tx: Pick<TxRepos, 'outbox' | 'audit'>, random: Random, r: UserChangeRecord): string | null {
  let eventId: string | null = null;
  if (r.type !== null) {
    const subject = `user/${r.userId}`;
    const event: DomainEvent = {
      id: random.uuid(),
      type: r.type,
      source: EVENT_SOURCE,
      subject,
      time: r.at,
      tenant_id: r.tenantId,
      ordering_key: subject,
      data: { tenant_id: r.tenantId, user_id: r.userId, ...r.data },
    };
    tx.outbox.add(event, r.at);
    eventId = event.id;
  }
  const audit: AuditEvent = {
    id: random.uuid(),
    tenant_id: r.tenantId,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: `user/${r.userId}`,
    event_id: eventId,
    request_id: r.requestId,
    details: r.details ?? {},
  };
  tx.audit.add(audit);
  return eventId;
}
