/** Builders shared by the storage contract suites. */
import { randomUUID } from 'node:crypto';
import type { AuditEvent, DomainEvent } from '../../../domain/outbox/event.ts';
import { EVENT_SOURCE } from '../../../domain/outbox/event.ts';
import { fillPolicyDefaults, type Region, type Tenant } from '../../../domain/tenants/tenant.ts';
import type { Stores } from '../stores.ts';

/** Makes fresh, empty stores for one test. */
export type StoresFactory = () => Promise<Stores>;

/** A tenant with the default policy. */
export function aTenant(tenantId: string, region: Region, version = 1): Tenant {
  const policy = fillPolicyDefaults(undefined, { publicOrigin: 'http://127.0.0.1:8080' });
  if (typeof policy === 'string') throw new Error(policy);
  return { tenant_id: tenantId, region, policy, version, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
}

/** A domain event for `tenantId`. */
export function anEvent(tenantId: string, overrides: Partial<DomainEvent> = {}): DomainEvent {
  return {
    id: randomUUID(),
    type: 'iam.tenant.created.v1',
    source: EVENT_SOURCE,
    subject: `tenant/${tenantId}`,
    time: '2026-01-01T00:00:00.000Z',
    tenant_id: tenantId,
    ordering_key: `tenant/${tenantId}`,
    data: { tenant_id: tenantId, nested: { list: [1, 'two', null] } },
    ...overrides,
  };
}

/** An audit event for `tenantId` at `at`. */
export function anAuditEvent(tenantId: string, at: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUID(),
    tenant_id: tenantId,
    at,
    actor: { type: 'admin', id: 'admin-1' },
    action: 'tenant.created',
    target: `tenant/${tenantId}`,
    event_id: null,
    request_id: 'req-1',
    details: { region: 'eu' },
    ...overrides,
  };
}

/** Records `tenantId` in the directory for `region` and stores its tenant document there. */
export async function seedTenant(stores: Stores, tenantId: string, region: Region): Promise<Tenant> {
  const recorded = await stores.directory.claim(tenantId, region, '2026-01-01T00:00:00.000Z');
  if (recorded !== region) throw new Error(`seedTenant: ${tenantId} is already in ${recorded}`);
  const tenant = aTenant(tenantId, region);
  await stores.uow.run(region, async (tx) => tx.tenants.put(tenant));
  return tenant;
}

/** `n` ISO instants one second apart from 2026-01-01T00:00:00Z. */
export function instant(n: number): string {
  return new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();
}
