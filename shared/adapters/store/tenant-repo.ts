/** Tenants, in their region's database: collection `tenants`, one document per tenant id. */
import type { TenantRepo } from '../../domain/ports.ts';
import type { Tenant } from '../../domain/tenants/tenant.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding tenants. */
export const TENANTS = 'tenants';

/** The tenant repository of one transaction. */
export function tenantRepo(tx: DocTransaction): TenantRepo {
  return {
    async get(tenantId) {
      const doc = await tx.get(TENANTS, tenantId);
      return doc === undefined ? undefined : (doc as unknown as Tenant);
    },
    put(tenant) {
      tx.set(TENANTS, tenant.tenant_id, { ...tenant });
    },
  };
}
