/**
 * Which events each consumer has applied, in each region's database:
 * collection `inbox`, document id `${consumer}:${eventId}` (each part
 * URI-encoded, so a `/` cannot break the id).
 */
import type { InboxRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding consumer dedupe records. */
export const INBOX = 'inbox';

/** The document id of one (consumer, event) pair. */
export function inboxId(consumer: string, eventId: string): string {
  return `${encodeURIComponent(consumer)}:${encodeURIComponent(eventId)}`;
}

/**
 * The inbox repository of one transaction. Call `seen` before `record` in the
 * same transaction: `record` creates the document, so recording an event twice
 * fails the commit with `conflict`.
 */
export function inboxRepo(tx: DocTransaction): InboxRepo {
  return {
    async seen(consumer, eventId) {
      return (await tx.get(INBOX, inboxId(consumer, eventId))) !== undefined;
    },
    record(consumer, eventId, tenantId, at) {
      tx.create(INBOX, inboxId(consumer, eventId), { consumer, event_id: eventId, tenant_id: tenantId, at });
    },
  };
}
