/** The contract of {@link TenantRepo}. */
import { describe, expect, it } from 'vitest';
import type { TenantRepo } from '../../../domain/ports.ts';
import { aTenant, instant, type StoresFactory } from './fixtures.ts';

/** Runs the tenant repository contract against a backend. */
export function tenantRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`TenantRepo contract (${backend})`, () => {
    it('answers undefined for an unknown tenant', async () => {
      const stores = await makeStores();
      expect(await stores.uow.run('eu', (tx) => tx.tenants.get('nobody'))).toBeUndefined();
    });

    it('stores a tenant and reads it back exactly, and put replaces it', async () => {
      const stores = await makeStores();
      await stores.directory.claim('t1', 'eu', instant(0));
      const tenant = aTenant('t1', 'eu');
      await stores.uow.run('eu', async (tx) => tx.tenants.put(tenant));
      expect(await stores.uow.run('eu', (tx) => tx.tenants.get('t1'))).toEqual(tenant);
      const changed = {
        ...tenant,
        version: 2,
        updated_at: instant(5),
        policy: { ...tenant.policy, mfa: { required_for_roles: ['admin'], webauthn_required_for_roles: [] } },
      };
      await stores.uow.run('eu', async (tx) => (tx.tenants satisfies TenantRepo).put(changed));
      expect(await stores.uow.run('eu', (tx) => tx.tenants.get('t1'))).toEqual(changed);
    });
  });
}
