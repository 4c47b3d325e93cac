/** The contract of {@link InboxRepo}. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import { INBOX, inboxId } from '../inbox-repo.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

/** Runs the inbox repository contract against a backend. */
export function inboxRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`InboxRepo contract (${backend})`, () => {
    it('remembers which consumer applied which event', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      expect(await stores.uow.run('me', (tx) => tx.inbox.seen('tenant-events', 'e1'))).toBe(false);
      await stores.uow.run('me', async (tx) => tx.inbox.record('tenant-events', 'e1', 't1', instant(1)));
      expect(await stores.uow.run('me', (tx) => tx.inbox.seen('tenant-events', 'e1'))).toBe(true);
      expect(await stores.uow.run('me', (tx) => tx.inbox.seen('erasure', 'e1'))).toBe(false);
      expect(await stores.uow.run('me', (tx) => tx.inbox.seen('tenant-events', 'e2'))).toBe(false);
      expect(await stores.databases.regions.me.get(INBOX, 'tenant-events:e1')).toEqual({ consumer: 'tenant-events', event_id: 'e1', tenant_id: 't1', at: instant(1) });
    });

    it('keeps event ids with a slash or a colon apart', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      await stores.uow.run('me', async (tx) => tx.inbox.record('c', 'a/b:c', 't1', instant(1)));
      expect(await stores.uow.run('me', (tx) => tx.inbox.seen('c', 'a/b:c'))).toBe(true);
      expect(await stores.uow.run('me', (tx) => tx.inbox.seen('c:a', 'b:c'))).toBe(false);
      expect(inboxId('c:a', 'b')).not.toBe(inboxId('c', 'a:b'));
    });

    it('a second record of the same event fails with conflict', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      await stores.uow.run('me', async (tx) => tx.inbox.record('c', 'e1', 't1', instant(1)));
      const err = await stores.uow.run('me', async (tx) => tx.inbox.record('c', 'e1', 't1', instant(2))).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
    });

    it('parallel deliveries of one event apply it once', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      const applied = await Promise.all(
        Array.from({ length: 8 }, () =>
          stores.uow.run('me', async (tx) => {
            if (await tx.inbox.seen('c', 'dup')) return false;
            tx.inbox.record('c', 'dup', 't1', instant(1));
            return true;
          }),
        ),
      );
      expect(applied.filter(Boolean)).toHaveLength(1);
    }, 60_000);
  });
}
