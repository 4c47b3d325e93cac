/**
 * The outbox and audit records of an MFA state change, buffered together in
 * the caller's transaction. Event data carries ids and counts
 * only: never a secret, a code or an email. The ordering key is the user, so
 * a user's MFA events stay ordered with their other user events.
 */
import { recordUserChange } from '../accounts/user-events.ts';
import type { Actor } from '../outbox/event.ts';
import type { Random, TxRepos } from '../ports.ts';

/** The MFA event types iam-service emits. */
export type MfaEventType = 'iam.mfa.enrolled.v1' | 'iam.mfa.recovery_codes_generated.v1' | 'iam.mfa.recovery_code_used.v1';

/** One MFA change to record. */
export interface MfaChangeRecord {
  readonly tenantId: string;
  readonly userId: string;
  /** The outbox event type; null to write the audit event only. */
  readonly type: MfaEventType | null;
  /** Event data besides `tenant_id` and `user_id` (ids and counts only). */
  readonly data?: Readonly<Record<string, unknown>>;
  /** The audit action, e.g. `mfa.enrolled`. */
  readonly action: string;
  readonly actor: Actor;
  readonly requestId: string | null;
  /** Audit details (no secrets, no PII). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The instant, ISO 8601. */
  readonly at: string;
}

/** Buffers the outbox event (when `type` is set) and the audit event. Returns the event id, or null. */
export function recordMfaChange(tx: Pick<TxRepos, 'outbox' | 'audit'>, random: Random, r: MfaChangeRecord): string | null {
  // Same records as any user change: subject and ordering key `user/<id>`.
  return recordUserChange(tx, random, r);
}
