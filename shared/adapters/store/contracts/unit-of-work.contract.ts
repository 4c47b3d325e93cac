/**
 * The contract of the unit of work: atomicity, serialisable contention, the
 * reads-before-writes rule and the residency guard (risk R-13).
 */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import { OUTBOX } from '../outbox-repo.ts';
import { cachedRegions, residencyGuard } from '../residency.ts';
import { TENANTS } from '../tenant-repo.ts';
import { aTenant, anAuditEvent, anEvent, instant, seedTenant, type StoresFactory } from './fixtures.ts';

/** Runs the unit-of-work contract against a backend. */
export function unitOfWorkContract(backend: string, makeStores: StoresFactory): void {
  describe(`unit of work contract (${backend})`, () => {
    it('commits every write of the function and returns its value', async () => {
      const stores = await makeStores();
      await stores.directory.claim('t1', 'eu', instant(0));
      const event = anEvent('t1');
      const out = await stores.uow.run('eu', async (tx) => {
        expect(tx.region).toBe('eu');
        tx.tenants.put(aTenant('t1', 'eu'));
        tx.outbox.add(event, instant(1));
        tx.audit.add(anAuditEvent('t1', instant(1), { event_id: event.id }));
        return 'done';
      });
      expect(out).toBe('done');
      expect(await stores.uow.run('eu', (tx) => tx.tenants.get('t1'))).toEqual(aTenant('t1', 'eu'));
      expect((await stores.uow.run('eu', (tx) => tx.outbox.get(event.id)))?.id).toBe(event.id);
      expect(await stores.uow.run('eu', (tx) => tx.audit.between(instant(0), instant(2)))).toHaveLength(1);
    });

    it('a throw inside the function writes nothing', async () => {
      const stores = await makeStores();
      await stores.directory.claim('t1', 'eu', instant(0));
      const event = anEvent('t1');
      await expect(
        stores.uow.run('eu', async (tx) => {
          tx.tenants.put(aTenant('t1', 'eu'));
          tx.outbox.add(event, instant(1));
          throw new Error('use case failed');
        }),
      ).rejects.toThrow('use case failed');
      expect(await stores.databases.regions.eu.get(TENANTS, 't1')).toBeUndefined();
      expect(await stores.databases.regions.eu.get(OUTBOX, event.id)).toBeUndefined();
    });

    it('a refused precondition writes nothing of the transaction', async () => {
      const stores = await makeStores();
      await stores.directory.claim('t1', 'eu', instant(0));
      const event = anEvent('t1');
      await stores.uow.run('eu', async (tx) => tx.outbox.add(event, instant(1)));
      const err = await stores.uow
        .run('eu', async (tx) => {
          tx.tenants.put(aTenant('t1', 'eu'));
          tx.outbox.add(event, instant(2));
        })
        .catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect(await stores.databases.regions.eu.get(TENANTS, 't1')).toBeUndefined();
    });

    it('refuses a read after a write, and writes nothing', async () => {
      const stores = await makeStores();
      await stores.directory.claim('t1', 'eu', instant(0));
      await expect(
        stores.uow.run('eu', async (tx) => {
          tx.tenants.put(aTenant('t1', 'eu'));
          return tx.outbox.pending(instant(5), 10);
        }),
      ).rejects.toThrow(/read after write/);
      expect(await stores.databases.regions.eu.get(TENANTS, 't1')).toBeUndefined();
    });

    it('20 parallel read-modify-write transactions on one document end at the exact count', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await Promise.all(
        Array.from({ length: 20 }, () =>
          stores.uow.run('eu', async (tx) => {
            const t = await tx.tenants.get('t1');
            if (t === undefined) throw new Error('tenant vanished');
            tx.tenants.put({ ...t, version: t.version + 1 });
          }),
        ),
      );
      expect((await stores.uow.run('eu', (tx) => tx.tenants.get('t1')))?.version).toBe(21);
    }, 60_000);

    it('keeps the regions apart: each region is its own database', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'me');
      expect(await stores.uow.run('me', (tx) => tx.tenants.get('t1'))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.tenants.get('t2'))).toBeUndefined();
      expect(await stores.databases.regions.us.get(TENANTS, 't1')).toBeUndefined();
    });

    describe('residency guard (R-13)', () => {
      it('refuses a cross-region write: a tenant of me written through the eu unit of work, and writes nothing', async () => {
        const stores = await makeStores();
        await stores.directory.claim('t1', 'me', instant(0));
        await seedTenant(stores, 't9', 'eu');
        const event = anEvent('t1');
        const err = await stores.uow
          .run('eu', async (tx) => {
            tx.tenants.put({ ...aTenant('t9', 'eu'), version: 2 });
            tx.tenants.put(aTenant('t1', 'me'));
            tx.outbox.add(event, instant(1));
          })
          .catch((e: unknown) => e);
        expect(isIamError(err, 'residency_violation')).toBe(true);
        expect((err as Error).message).toMatch(/t1 lives in region me/);
        for (const region of ['eu', 'me', 'us'] as const) {
          expect(await stores.databases.regions[region].get(TENANTS, 't1')).toBeUndefined();
          expect(await stores.databases.regions[region].get(OUTBOX, event.id)).toBeUndefined();
        }
        // the legitimate write of the same transaction was not applied either
        expect((await stores.databases.regions.eu.get(TENANTS, 't9'))?.['version']).toBe(1);
      });

      it('refuses a write for a tenant the directory does not know', async () => {
        const stores = await makeStores();
        const err = await stores.uow.run('us', async (tx) => tx.inbox.record('consumer', 'e1', 'ghost', instant(1))).catch((e: unknown) => e);
        expect(isIamError(err, 'residency_violation')).toBe(true);
        expect((err as Error).message).toMatch(/ghost is not in the tenant directory/);
        expect(await stores.uow.run('us', (tx) => tx.inbox.seen('consumer', 'e1'))).toBe(false);
      });

      it('refuses a document without tenant_id', async () => {
        const stores = await makeStores();
        await seedTenant(stores, 't1', 'eu');
        const guard = residencyGuard('eu', cachedRegions(stores.directory));
        const db = stores.databases.regions.eu;
        const err = await db
          .runTransaction(
            async (tx) => {
              tx.set('things', 'ok', { tenant_id: 't1' });
              tx.set('things', 'untagged', { v: 1 });
            },
            { beforeCommit: guard },
          )
          .catch((e: unknown) => e);
        expect(isIamError(err, 'residency_violation')).toBe(true);
        expect((err as Error).message).toMatch(/untagged carries no tenant_id/);
        expect(await db.get('things', 'ok')).toBeUndefined();
      });

      it('refuses to update or delete a document of another region’s tenant', async () => {
        const stores = await makeStores();
        await stores.directory.claim('t1', 'me', instant(0));
        const db = stores.databases.regions.eu;
        const event = anEvent('t1');
        // planted without the guard, as a bug or an operator mistake could
        await db.runTransaction(async (tx) =>
          tx.set(OUTBOX, event.id, { ...event, created_at: instant(1), published_at: null, lease_until: null, attempts: 0, available_at: instant(1) }),
        );
        const lease = await stores.uow.run('eu', async (tx) => tx.outbox.lease(event.id, instant(60), 1)).catch((e: unknown) => e);
        expect(isIamError(lease, 'residency_violation')).toBe(true);
        const guard = residencyGuard('eu', cachedRegions(stores.directory));
        const del = await db.runTransaction(async (tx) => tx.delete(OUTBOX, event.id), { beforeCommit: guard }).catch((e: unknown) => e);
        expect(isIamError(del, 'residency_violation')).toBe(true);
        expect((await db.get(OUTBOX, event.id))?.['attempts']).toBe(0);
      });

      it('lets a tenant’s own region write, including updates of rows not read first', async () => {
        const stores = await makeStores();
        await seedTenant(stores, 't1', 'me');
        const event = anEvent('t1');
        await stores.uow.run('me', async (tx) => tx.outbox.add(event, instant(1)));
        await stores.uow.run('me', async (tx) => tx.outbox.lease(event.id, instant(60), 1));
        expect((await stores.uow.run('me', (tx) => tx.outbox.get(event.id)))?.attempts).toBe(1);
      });
    });
  });
}
