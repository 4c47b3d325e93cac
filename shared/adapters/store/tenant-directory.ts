/**
 * The tenant directory, in the platform database: collection
 * `tenant_directory`, one document `{tenant_id, region, claimed_at}` per tenant.
 * It holds no personal data, only where each tenant lives.
 */
import type { TenantDirectory } from '../../domain/ports.ts';
import { REGIONS, type Region } from '../../domain/tenants/tenant.ts';
import type { Doc, DocDatabase } from './documents.ts';

/** The collection holding the tenant directory. */
export const TENANT_DIRECTORY = 'tenant_directory';

function regionIn(doc: Doc): Region {
  const region = doc['region'];
  if (typeof region !== 'string' || !(REGIONS as readonly string[]).includes(region)) {
    throw new Error(`corrupt tenant_directory entry: region ${String(region)}`);
  }
  return region as Region;
}

/**
 * The tenant directory over the platform database. `claim` runs in a
 * transaction, so the first writer wins and later claims get its region.
 * Known regions are cached: a tenant's region never changes.
 */
export function documentTenantDirectory(platform: DocDatabase): TenantDirectory {
  const known = new Map<string, Region>();
  return {
    async regionOf(tenantId) {
      const hit = known.get(tenantId);
      if (hit !== undefined) return hit;
      const doc = await platform.get(TENANT_DIRECTORY, tenantId);
      if (doc === undefined) return undefined;
      const region = regionIn(doc);
      known.set(tenantId, region);
      return region;
    },
    async claim(tenantId, region, at) {
      const recorded = await platform.runTransaction(async (tx) => {
        const doc = await tx.get(TENANT_DIRECTORY, tenantId);
        if (doc !== undefined) return regionIn(doc);
        tx.create(TENANT_DIRECTORY, tenantId, { tenant_id: tenantId, region, claimed_at: at });
        return region;
      });
      known.set(tenantId, recorded);
      return recorded;
    },
  };
}
