/** The contract of {@link TenantDirectory}. */
import { describe, expect, it } from 'vitest';
import { REGIONS } from '../../../domain/tenants/tenant.ts';
import { TENANT_DIRECTORY } from '../tenant-directory.ts';
import { instant, type StoresFactory } from './fixtures.ts';

/** Runs the tenant directory contract against a backend. */
export function tenantDirectoryContract(backend: string, makeStores: StoresFactory): void {
  describe(`TenantDirectory contract (${backend})`, () => {
    it('answers undefined for an unknown tenant', async () => {
      const stores = await makeStores();
      expect(await stores.directory.regionOf('nobody')).toBeUndefined();
    });

    it('records a region once: the first claim wins and later claims get it back', async () => {
      const stores = await makeStores();
      expect(await stores.directory.claim('t1', 'me', instant(1))).toBe('me');
      expect(await stores.directory.claim('t1', 'eu', instant(2))).toBe('me');
      expect(await stores.directory.regionOf('t1')).toBe('me');
      expect(await stores.databases.platform.get(TENANT_DIRECTORY, 't1')).toEqual({ tenant_id: 't1', region: 'me', claimed_at: instant(1) });
      // it lives in the platform database only
      for (const r of REGIONS) expect(await stores.databases.regions[r].get(TENANT_DIRECTORY, 't1')).toBeUndefined();
    });

    it('parallel claims for different regions agree on one winner', async () => {
      const stores = await makeStores();
      const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => stores.directory.claim('race', REGIONS[i % 3] ?? 'eu', instant(i))));
      expect(new Set(answers).size).toBe(1);
      expect(await stores.directory.regionOf('race')).toBe(answers[0]);
    }, 60_000);

    it('a fresh directory over the same database sees the recorded region', async () => {
      const stores = await makeStores();
      await stores.directory.claim('t1', 'us', instant(1));
      const { documentTenantDirectory } = await import('../tenant-directory.ts');
      expect(await documentTenantDirectory(stores.databases.platform).regionOf('t1')).toBe('us');
    });
  });
}
