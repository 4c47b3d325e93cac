/** The audit log, in each region's database: collection `audit`, one document per audit event id. */
import type { AuditEvent } from '../../domain/outbox/event.ts';
import type { AuditRepo } from '../../domain/ports.ts';
import type { DocTransaction, Filter } from './documents.ts';

/** The collection holding audit events. */
export const AUDIT = 'audit';

/** The audit repository of one transaction. Events are only ever created, never changed. */
export function auditRepo(tx: DocTransaction): AuditRepo {
  return {
    add(event) {
      tx.create(AUDIT, event.id, { ...event, actor: { ...event.actor } });
    },
    async between(from, to, tenantId) {
      const where: Filter[] = [
        ['at', '>=', from],
        ['at', '<', to],
      ];
      if (tenantId !== undefined) where.push(['tenant_id', '==', tenantId]);
      const found = await tx.query(AUDIT, { where, orderBy: [['at', 'asc']] });
      return found.map((f) => f.data as unknown as AuditEvent);
    },
  };
}
