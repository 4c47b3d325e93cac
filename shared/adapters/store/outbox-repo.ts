/**
 * The transactional outbox, in each region's database: collection `outbox`,
 * one document per event id.
 *
 * Besides the {@link OutboxRow} fields a document carries `available_at`: the
 * instant a relay may take the row (its creation, then the end of its lease),
 * or null once it is published. `pending` is then one query: equality on
 * `published_at == null` (so Firestore scans only unpublished rows, however
 * long the outbox grows), a range on `available_at`, ordered by `created_at`.
 * It needs the composite index (published_at, created_at, available_at)
 * listed in docs/storage.md.
 */
import type { DomainEvent, OutboxRow } from '../../domain/outbox/event.ts';
import type { OutboxRepo } from '../../domain/ports.ts';
import type { Doc, DocTransaction } from './documents.ts';

/** The collection holding outbox rows. */
export const OUTBOX = 'outbox';

function toRow(doc: Doc): OutboxRow {
  const { available_at: _available, ...row } = doc;
  return row as unknown as OutboxRow;
}

/** The outbox repository of one transaction. */
export function outboxRepo(tx: DocTransaction): OutboxRepo {
  return {
    add(event: DomainEvent, createdAt: string) {
      tx.create(OUTBOX, event.id, {
        ...event,
        created_at: createdAt,
        published_at: null,
        lease_until: null,
        attempts: 0,
        available_at: createdAt,
      });
    },
    async get(id) {
      const doc = await tx.get(OUTBOX, id);
      return doc === undefined ? undefined : toRow(doc);
    },
    async pending(now, limit) {
      const found = await tx.query(OUTBOX, {
        where: [
          ['published_at', '==', null],
          ['available_at', '<=', now],
        ],
        orderBy: [['created_at', 'asc']],
        limit,
      });
      return found.map((f) => toRow(f.data));
    },
    lease(id, until, attempts) {
      tx.update(OUTBOX, id, { lease_until: until, attempts, available_at: until });
    },
    markPublished(id, at) {
      tx.update(OUTBOX, id, { published_at: at, lease_until: null, available_at: null });
    },
    async createdBetween(from, to) {
      const found = await tx.query(OUTBOX, {
        where: [
          ['created_at', '>=', from],
          ['created_at', '<', to],
        ],
        orderBy: [['created_at', 'asc']],
      });
      return found.map((f) => toRow(f.data));
    },
  };
}
