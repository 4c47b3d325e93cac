/** The contract of {@link MagicLinkThrottleRepo}, with the parallel admission the magic-link quota relies on. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import { admitMagicLink, MAGIC_LINK_MAX_PER_WINDOW, type MagicLinkThrottle } from '../../../domain/login/magic-link-throttle.ts';
import { MAGIC_LINK_THROTTLES, magicLinkThrottleId } from '../magic-link-throttle-repo.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

function aThrottle(tenantId: string, userId: string, sent: readonly number[]): MagicLinkThrottle {
  return { tenant_id: tenantId, user_id: userId, sent_at: sent.map(instant), expires_at: instant(Math.max(...sent) + 900) };
}

/** Runs the magic-link quota repository contract against a backend. */
export function magicLinkThrottleRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`MagicLinkThrottleRepo contract (${backend})`, () => {
    it('stores a record exactly, ids and instants only; another user or tenant reads nothing; put replaces', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      expect(await stores.uow.run('eu', (tx) => tx.magicLinkThrottles.get('t1', 'u1'))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.magicLinkThrottles.put(aThrottle('t1', 'u1', [0, 30])));
      const read = await stores.uow.run('eu', async (tx) => ({
        mine: await tx.magicLinkThrottles.get('t1', 'u1'),
        otherUser: await tx.magicLinkThrottles.get('t1', 'u2'),
        otherTenant: await tx.magicLinkThrottles.get('t2', 'u1'),
      }));
      expect(read).toEqual({ mine: aThrottle('t1', 'u1', [0, 30]), otherUser: undefined, otherTenant: undefined });
      const raw = await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('t1', 'u1'));
      expect(Object.keys(raw ?? {}).sort()).toEqual(['expires_at', 'sent_at', 'tenant_id', 'user_id']);
      await stores.uow.run('eu', async (tx) => tx.magicLinkThrottles.put(aThrottle('t1', 'u1', [30, 60, 90])));
      expect(await stores.uow.run('eu', (tx) => tx.magicLinkThrottles.get('t1', 'u1'))).toEqual(aThrottle('t1', 'u1', [30, 60, 90]));
    });

    it('writes only the known fields: an extra field (an address) does not ride along', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const withEmail = { ...aThrottle('t1', 'u1', [0]), email: 'alice@example.com' } as MagicLinkThrottle;
      await stores.uow.run('eu', async (tx) => tx.magicLinkThrottles.put(withEmail));
      const raw = await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('t1', 'u1'));
      expect(JSON.stringify(raw)).not.toContain('alice');
    });

    it('a record written through another region\'s unit of work is refused (residency)', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      const e = await stores.uow.run('eu', async (tx) => tx.magicLinkThrottles.put(aThrottle('t1', 'u1', [0]))).catch((x: unknown) => x);
      expect(isIamError(e, 'residency_violation')).toBe(true);
      expect(await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('t1', 'u1'))).toBeUndefined();
    });

    it('10 parallel admissions of one user: exactly the quota admitted, the record ends at the quota', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const now = Date.parse(instant(0));
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          stores.uow.run('eu', async (tx) => {
            const a = admitMagicLink('t1', 'u1', await tx.magicLinkThrottles.get('t1', 'u1'), now);
            if (a.kind === 'admitted') tx.magicLinkThrottles.put(a.throttle);
            return a.kind;
          }),
        ),
      );
      expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(MAGIC_LINK_MAX_PER_WINDOW);
      expect(outcomes.filter((o) => o === 'throttled')).toHaveLength(10 - MAGIC_LINK_MAX_PER_WINDOW);
      expect((await stores.uow.run('eu', (tx) => tx.magicLinkThrottles.get('t1', 'u1')))?.sent_at).toHaveLength(MAGIC_LINK_MAX_PER_WINDOW);
    }, 120_000);
  });
}
