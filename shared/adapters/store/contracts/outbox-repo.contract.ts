/** The contract of {@link OutboxRepo}. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import type { Stores } from '../stores.ts';
import { anEvent, instant, seedTenant, type StoresFactory } from './fixtures.ts';

/** Runs the outbox repository contract against a backend. */
export function outboxRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`OutboxRepo contract (${backend})`, () => {
    const ready = async (): Promise<Stores> => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      return stores;
    };

    it('adds a row that reads back unpublished, unleased, with no attempt', async () => {
      const stores = await ready();
      const event = anEvent('t1');
      await stores.uow.run('eu', async (tx) => tx.outbox.add(event, instant(1)));
      expect(await stores.uow.run('eu', (tx) => tx.outbox.get(event.id))).toEqual({
        ...event,
        created_at: instant(1),
        published_at: null,
        lease_until: null,
        attempts: 0,
      });
      expect(await stores.uow.run('eu', (tx) => tx.outbox.get('unknown'))).toBeUndefined();
    });

    it('refuses a second row with the same event id', async () => {
      const stores = await ready();
      const event = anEvent('t1');
      await stores.uow.run('eu', async (tx) => tx.outbox.add(event, instant(1)));
      const err = await stores.uow.run('eu', async (tx) => tx.outbox.add(event, instant(2))).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
    });

    it('pending: unpublished rows whose lease lapsed, oldest first, up to the limit', async () => {
      const stores = await ready();
      const [a, b, c, d, e] = [anEvent('t1'), anEvent('t1'), anEvent('t1'), anEvent('t1'), anEvent('t1')];
      await stores.uow.run('eu', async (tx) => {
        // added out of order: pending must sort by created_at
        tx.outbox.add(c, instant(3));
        tx.outbox.add(a, instant(1));
        tx.outbox.add(b, instant(2));
        tx.outbox.add(d, instant(4));
        tx.outbox.add(e, instant(50));
      });
      await stores.uow.run('eu', async (tx) => {
        tx.outbox.lease(a.id, instant(100), 1); // still leased at 60
        tx.outbox.lease(b.id, instant(30), 1); // lapsed at 60
        tx.outbox.markPublished(c.id, instant(5));
      });
      const ids = async (now: string, limit: number) => (await stores.uow.run('eu', (tx) => tx.outbox.pending(now, limit))).map((r) => r.id);
      expect(await ids(instant(60), 10)).toEqual([b.id, d.id, e.id]);
      expect(await ids(instant(60), 2)).toEqual([b.id, d.id]);
      // before e exists and while b is still leased
      expect(await ids(instant(10), 10)).toEqual([d.id]);
      // once a's lease lapses it comes first again
      expect(await ids(instant(100), 10)).toEqual([a.id, b.id, d.id, e.id]);
    });

    it('lease and markPublished record the delivery bookkeeping', async () => {
      const stores = await ready();
      const event = anEvent('t1');
      await stores.uow.run('eu', async (tx) => tx.outbox.add(event, instant(1)));
      await stores.uow.run('eu', async (tx) => {
        const [row] = await tx.outbox.pending(instant(2), 1);
        if (row === undefined) throw new Error('no pending row');
        tx.outbox.lease(row.id, instant(32), row.attempts + 1);
      });
      expect(await stores.uow.run('eu', (tx) => tx.outbox.get(event.id))).toMatchObject({ lease_until: instant(32), attempts: 1, published_at: null });
      await stores.uow.run('eu', async (tx) => tx.outbox.markPublished(event.id, instant(3)));
      expect(await stores.uow.run('eu', (tx) => tx.outbox.get(event.id))).toMatchObject({ lease_until: null, attempts: 1, published_at: instant(3) });
      expect(await stores.uow.run('eu', (tx) => tx.outbox.pending(instant(999), 10))).toEqual([]);
    });

    it('lease and markPublished of an unknown row fail with conflict', async () => {
      const stores = await ready();
      const lease = await stores.uow.run('eu', async (tx) => tx.outbox.lease('nope', instant(9), 1)).catch((e: unknown) => e);
      expect(isIamError(lease, 'conflict')).toBe(true);
      const err = await stores.uow.run('eu', async (tx) => tx.outbox.markPublished('nope', instant(9))).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
    });

    it('createdBetween returns every row created in [from, to), published or not, oldest first', async () => {
      const stores = await ready();
      const events = [anEvent('t1'), anEvent('t1'), anEvent('t1'), anEvent('t1')];
      await stores.uow.run('eu', async (tx) => events.forEach((e, i) => tx.outbox.add(e, instant(10 - i))));
      await stores.uow.run('eu', async (tx) => tx.outbox.markPublished((events[1] ?? events[0])!.id, instant(20)));
      // created at 10, 9, 8, 7
      const rows = await stores.uow.run('eu', (tx) => tx.outbox.createdBetween(instant(8), instant(10)));
      expect(rows.map((r) => r.created_at)).toEqual([instant(8), instant(9)]);
      expect(rows[1]?.published_at).toBe(instant(20));
      expect(await stores.uow.run('eu', (tx) => tx.outbox.createdBetween(instant(11), instant(12)))).toEqual([]);
    });
  });
}
