/**
 * Session families, in the tenant's region: collection `sessions`, one
 * document per session id (`shared/domain/sessions/session.ts`).
 */
import type { SessionRepo } from '../../domain/ports.ts';
import type { SessionFamily } from '../../domain/sessions/session.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding session families. */
export const SESSIONS = 'sessions';

/** The session repository of one transaction. */
export function sessionRepo(tx: DocTransaction): SessionRepo {
  return {
    async get(tenantId, sessionId) {
      const doc = await tx.get(SESSIONS, sessionId);
      // A family of another tenant is never returned, whatever id is asked for.
      return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as SessionFamily);
    },
    async listForUser(tenantId, userId) {
      // Equality filters only: served by single-field indexes, no composite index needed.
      const found = await tx.query(SESSIONS, {
        where: [
          ['tenant_id', '==', tenantId],
          ['user_id', '==', userId],
        ],
      });
      return found
        .map((f) => f.data as unknown as SessionFamily)
        .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.session_id < b.session_id ? 1 : -1));
    },
    create(session) {
      tx.create(SESSIONS, session.session_id, { ...session });
    },
    put(session) {
      tx.set(SESSIONS, session.session_id, { ...session });
    },
  };
}
