/**
 * The residency guard (risk R-13), shared by every backend: the one place that
 * decides whether a regional transaction may commit.
 *
 * Every document written in a region's database must carry `tenant_id`, and
 * that tenant must be recorded in the tenant directory in that same region.
 * The guard runs after the transaction function and before anything is
 * applied, so a violation writes nothing. It checks the document as it will
 * stand after each write and, for updates and deletes, as it stood before (so
 * a document of another region's tenant can be neither changed nor removed).
 */
import { IamError } from '../../domain/errors.ts';
import type { TenantDirectory } from '../../domain/ports.ts';
import type { Region } from '../../domain/tenants/tenant.ts';
import { applyWrite, type BeforeCommit, type Doc } from './documents.ts';

/** Resolves tenants to regions, remembering the answers: a tenant's region never changes. */
export interface RegionCache {
  regionOf(tenantId: string): Promise<Region | undefined>;
}

/** Wraps a directory with a cache of known regions. Unknown tenants are asked again next time. */
export function cachedRegions(directory: TenantDirectory): RegionCache {
  const known = new Map<string, Region>();
  return {
    async regionOf(tenantId) {
      const hit = known.get(tenantId);
      if (hit !== undefined) return hit;
      const region = await directory.regionOf(tenantId);
      if (region !== undefined) known.set(tenantId, region);
      return region;
    },
  };
}

function violation(region: Region, detail: string): IamError {
  return new IamError('residency_violation', `write refused in region ${region}: ${detail}`);
}

function tenantOf(doc: Doc, where: string, region: Region): string {
  const t = doc['tenant_id'];
  if (typeof t !== 'string' || t === '') throw violation(region, `${where} carries no tenant_id`);
  return t;
}

/**
 * The commit hook of a regional transaction. Throws `residency_violation` when
 * a written document has no `tenant_id`, its tenant is unknown, or its tenant
 * lives in another region.
 */
export function residencyGuard(region: Region, regions: RegionCache): BeforeCommit {
  return async (writes, current) => {
    const state = new Map<string, Doc | undefined>();
    const tenants = new Set<string>();
    for (const w of writes) {
      const key = `${w.collection}/${w.id}`;
      const before = state.has(key) ? state.get(key) : w.kind === 'update' || w.kind === 'delete' ? await current(w.collection, w.id) : undefined;
      if (before !== undefined && (w.kind === 'update' || w.kind === 'delete')) tenants.add(tenantOf(before, key, region));
      let after: Doc | undefined;
      try {
        after = applyWrite(before, w);
      } catch {
        // A failed precondition: the backend refuses the whole commit with
        // `conflict`. A refused create is still judged by its data.
        after = w.kind === 'create' ? w.data : undefined;
      }
      if (after !== undefined) tenants.add(tenantOf(after, key, region));
      state.set(key, after);
    }
    for (const tenantId of tenants) {
      const home = await regions.regionOf(tenantId);
      if (home === undefined) throw violation(region, `tenant ${tenantId} is not in the tenant directory`);
      if (home !== region) throw violation(region, `tenant ${tenantId} lives in region ${home}`);
    }
  };
}
