/**
 * An event iam-service emits, in CloudEvents 1.0 terms. It is written to the
 * outbox in the same transaction as the state change it describes, and the
 * relay publishes it with `ordering_key` as the Pub/Sub ordering key and `id`
 * as the `ce-id` attribute consumers dedupe on.
 */
export interface DomainEvent {
  /** CloudEvents `id`: unique per event, stable across redeliveries. */
  readonly id: string;
  /** CloudEvents `type`, e.g. `iam.tenant.created.v1`. */
  readonly type: string;
  /** CloudEvents `source`. */
  readonly source: string;
  /** CloudEvents `subject`: the aggregate the event is about. */
  readonly subject: string;
  /** CloudEvents `time` (RFC 3339). */
  readonly time: string;
  readonly tenant_id: string;
  /** The aggregate, used as the ordering key (`tenant/t1`, `user/u1`). */
  readonly ordering_key: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** An outbox row: the event plus its delivery bookkeeping. */
export interface OutboxRow extends DomainEvent {
  readonly created_at: string;
  /** When the relay saw Pub/Sub accept it; null until then. */
  readonly published_at: string | null;
  /** A relay holds the row until this instant while it publishes it. */
  readonly lease_until: string | null;
  readonly attempts: number;
}

/** The CloudEvents `source` of every event iam-service emits. */
export const EVENT_SOURCE = '//iam.melmastoon.com/iam-service';

/** Who did something: a person, a service, or the platform itself. */
export interface Actor {
  readonly type: 'user' | 'admin' | 'service' | 'platform';
  readonly id: string;
}

/** An audit event. It is written in the same transaction as the change it records. */
export interface AuditEvent {
  readonly id: string;
  readonly tenant_id: string;
  readonly at: string;
  readonly actor: Actor;
  /** What happened, e.g. `tenant.created`. */
  readonly action: string;
  /** What it happened to, e.g. `tenant/t1`. */
  readonly target: string;
  /** The outbox event written in the same transaction, if any. */
  readonly event_id: string | null;
  readonly request_id: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}
