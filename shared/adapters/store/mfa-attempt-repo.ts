/**
 * Second-factor failure counters, in the tenant's region: collection
 * `mfa_attempts`, document id `<tenant>:<scope>:<subject>` (the subject is an
 * `mfa_token` hash or a user id; `shared/domain/mfa/attempts.ts`). Every
 * counter carries `user_id` (erasure) and `expires_at` (a Firestore TTL
 * policy on that field removes lapsed counters; docs/mfa.md).
 */
import type { MfaAttemptCounter, MfaAttemptKey } from '../../domain/mfa/attempts.ts';
import type { MfaAttemptRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding the counters. */
export const MFA_ATTEMPTS = 'mfa_attempts';

/** The document id of a counter. */
export function mfaAttemptId(key: MfaAttemptKey): string {
  return `${key.tenant_id}:${key.scope}:${key.subject}`;
}

/** The attempt-counter repository of one transaction. */
export function mfaAttemptRepo(tx: DocTransaction): MfaAttemptRepo {
  return {
    async get(key) {
      const doc = await tx.get(MFA_ATTEMPTS, mfaAttemptId(key));
      return doc === undefined || doc['tenant_id'] !== key.tenant_id ? undefined : (doc as unknown as MfaAttemptCounter);
    },
    put(counter) {
      const { tenant_id, scope, subject, user_id, failures, window_started_at, locked_until, expires_at } = counter;
      tx.set(MFA_ATTEMPTS, mfaAttemptId(counter), { tenant_id, scope, subject, user_id, failures, window_started_at, locked_until, expires_at });
    },
    reset(key) {
      tx.delete(MFA_ATTEMPTS, mfaAttemptId(key));
    },
  };
}
