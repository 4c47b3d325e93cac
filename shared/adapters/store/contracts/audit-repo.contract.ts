/** The contract of {@link AuditRepo}. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import { anAuditEvent, instant, seedTenant, type StoresFactory } from './fixtures.ts';

/** Runs the audit repository contract against a backend. */
export function auditRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`AuditRepo contract (${backend})`, () => {
    it('stores events and reads back those in [from, to), oldest first, optionally for one tenant', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const e1 = anAuditEvent('t1', instant(3), { actor: { type: 'platform', id: 'iamctl' }, details: { a: [1, { b: null }] } });
      const e2 = anAuditEvent('t2', instant(1));
      const e3 = anAuditEvent('t1', instant(2));
      const e4 = anAuditEvent('t1', instant(9));
      await stores.uow.run('eu', async (tx) => [e1, e2, e3, e4].forEach((e) => tx.audit.add(e)));
      expect(await stores.uow.run('eu', (tx) => tx.audit.between(instant(1), instant(9)))).toEqual([e2, e3, e1]);
      expect(await stores.uow.run('eu', (tx) => tx.audit.between(instant(1), instant(10), 't1'))).toEqual([e3, e1, e4]);
      expect(await stores.uow.run('eu', (tx) => tx.audit.between(instant(4), instant(9), 't1'))).toEqual([]);
    });

    it('refuses to overwrite an event', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const event = anAuditEvent('t1', instant(1));
      await stores.uow.run('eu', async (tx) => tx.audit.add(event));
      const err = await stores.uow.run('eu', async (tx) => tx.audit.add({ ...event, action: 'tampered' })).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect(await stores.uow.run('eu', (tx) => tx.audit.between(instant(0), instant(5)))).toEqual([event]);
    });
  });
}
