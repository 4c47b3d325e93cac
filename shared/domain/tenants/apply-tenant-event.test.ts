import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../adapters/memory/stores.ts';
import { snapshotDatabases } from '../../../functions/tenant-events/testing/snapshot.ts';
import type { TenantEvent } from '../events/tenant-events.ts';
import { EVENT_SOURCE } from '../outbox/event.ts';
import type { Random } from '../ports.ts';
import { applyTenantEvent, TENANT_EVENTS_CONSUMER, type ApplyTenantEventDeps } from './apply-tenant-event.ts';
import { DEFAULT_ABSOLUTE_SECONDS, type Region } from './tenant.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function counterRandom(): Random {
  let n = 0;
  return {
    bytes: (len) => new Uint8Array(len),
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

function event(
  type: TenantEvent['type'],
  id: string,
  data: { tenant_id?: string; region?: Region; policy?: TenantEvent['data']['policy'] } = {},
): TenantEvent {
  return {
    id,
    type,
    source: '//platform.melmastoon.com/tenants',
    time: undefined,
    data: { tenant_id: data.tenant_id ?? 't1', region: data.region ?? 'me', policy: data.policy },
  };
}

describe('applyTenantEvent', () => {
  let stores: MemoryStores;
  let clock: ReturnType<typeof fixedClock>;
  let deps: ApplyTenantEventDeps;

  beforeEach(() => {
    stores = createMemoryStores();
    clock = fixedClock(T0);
    deps = {
      uow: stores.uow,
      directory: stores.directory,
      clock,
      random: counterRandom(),
      policyDefaults: { publicOrigin: 'https://id.example.com' },
    };
  });

  const tenantIn = (region: Region, id = 't1') => stores.uow.run(region, (tx) => tx.tenants.get(id));

  it('creates the tenant in its region with defaults, an outbox event, an audit event and an inbox entry', async () => {
    const r = await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1', { policy: { lockout: { threshold: 3 } } }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.status).toBe('applied');
    const tenant = await tenantIn('me');
    expect(tenant).toMatchObject({ tenant_id: 't1', region: 'me', version: 1, created_at: '2026-01-01T00:00:00.000Z' });
    expect(tenant?.policy).toEqual({
      mfa: { required_for_roles: [], webauthn_required_for_roles: [] },
      lockout: { threshold: 3, unlock_after_seconds: 900 },
      session: { refresh_grace_seconds: 10, idle_seconds: 14 * 86_400, absolute_seconds: DEFAULT_ABSOLUTE_SECONDS },
      sso: { required: false, emergency_fallback: 'none' },
      webauthn: { rp_id: 'id.example.com', origins: ['https://id.example.com'] },
      device_cert: { validity_days: 30 },
    });
    expect(await stores.directory.regionOf('t1')).toBe('me');
    expect(await tenantIn('eu')).toBeUndefined();
    expect(await tenantIn('us')).toBeUndefined();

    const { rows, audits, seen } = await stores.uow.run('me', async (tx) => ({
      rows: await tx.outbox.createdBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z'),
      audits: await tx.audit.between('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z'),
      seen: await tx.inbox.seen(TENANT_EVENTS_CONSUMER, 'ev-1'),
    }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: r.value.emittedEventId,
      type: 'iam.tenant.created.v1',
      source: EVENT_SOURCE,
      subject: 'tenant/t1',
      ordering_key: 'tenant/t1',
      tenant_id: 't1',
      published_at: null,
      data: { tenant_id: 't1', region: 'me', version: 1 },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      tenant_id: 't1',
      actor: { type: 'platform', id: '//platform.melmastoon.com/tenants' },
      action: 'tenant.created',
      target: 'tenant/t1',
      event_id: r.value.emittedEventId,
      details: { cause_event_id: 'ev-1' },
    });
    expect(seen).toBe(true);
  });

  it('applies a redelivered created event once (same id: duplicate, nothing more written)', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1'));
    const before = await snapshotDatabases(stores.databases);
    clock.advance(5_000);
    const again = await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1'));
    expect(again.ok && again.value.status).toBe('duplicate');
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
  });

  it('applies the same event delivered twice concurrently once', async () => {
    const results = await Promise.all([
      applyTenantEvent(deps, event('tenant.created.v1', 'ev-1')),
      applyTenantEvent(deps, event('tenant.created.v1', 'ev-1')),
    ]);
    expect(results.map((r) => r.ok && r.value.status).sort()).toEqual(['applied', 'duplicate']);
    const rows = await stores.databases.regions.me.query('outbox', {});
    expect(rows).toHaveLength(1);
    expect((await tenantIn('me'))?.version).toBe(1);
  });

  it('treats a created event with a new id for an existing tenant as already_exists: no change, no event', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1'));
    await applyTenantEvent(deps, event('tenant.updated.v1', 'ev-2', { policy: { lockout: { threshold: 9 } } }));
    clock.advance(1000);
    const r = await applyTenantEvent(deps, event('tenant.created.v1', 'ev-3', { policy: { lockout: { threshold: 1 } } }));
    expect(r.ok && r.value.status).toBe('already_exists');
    const tenant = await tenantIn('me');
    expect(tenant?.version).toBe(2);
    expect(tenant?.policy.lockout.threshold).toBe(9);
    expect(await stores.databases.regions.me.query('outbox', {})).toHaveLength(2);
    // recorded as seen, so its redelivery is a plain duplicate
    const again = await applyTenantEvent(deps, event('tenant.created.v1', 'ev-3'));
    expect(again.ok && again.value.status).toBe('duplicate');
  });

  it('refuses a created event for a tenant recorded in another region, writing nothing', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1', { region: 'eu' }));
    const before = await snapshotDatabases(stores.databases);
    const r = await applyTenantEvent(deps, event('tenant.created.v1', 'ev-2', { region: 'us' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('region_conflict');
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
    expect(await tenantIn('us')).toBeUndefined();
  });

  it('updates: replaces the whole policy with defaults filled and bumps the version', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1', { policy: { lockout: { threshold: 3 }, sso: { required: true } } }));
    clock.advance(60_000);
    const r = await applyTenantEvent(deps, event('tenant.updated.v1', 'ev-2', { policy: { mfa: { required_for_roles: ['admin'] } } }));
    expect(r.ok && r.value.status).toBe('applied');
    const tenant = await tenantIn('me');
    expect(tenant).toMatchObject({ version: 2, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:01:00.000Z' });
    expect(tenant?.policy.mfa.required_for_roles).toEqual(['admin']);
    // replaced, not merged: the fields the update left out are back to their defaults
    expect(tenant?.policy.lockout.threshold).toBe(5);
    expect(tenant?.policy.sso.required).toBe(false);
    const types = (await stores.databases.regions.me.query('outbox', {})).map((d) => d.data['type']).sort();
    expect(types).toEqual(['iam.tenant.created.v1', 'iam.tenant.updated.v1']);
    const audits = await stores.databases.regions.me.query('audit', {});
    expect(audits.map((d) => d.data['action']).sort()).toEqual(['tenant.created', 'tenant.updated']);
  });

  it('an update without a policy resets the policy to the defaults', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1', { policy: { lockout: { threshold: 3 } } }));
    await applyTenantEvent(deps, event('tenant.updated.v1', 'ev-2'));
    expect((await tenantIn('me'))?.policy.lockout.threshold).toBe(5);
  });

  it('applies a redelivered update once: the version moves by one', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1'));
    const upd = event('tenant.updated.v1', 'ev-2', { policy: { lockout: { threshold: 7 } } });
    const first = await applyTenantEvent(deps, upd);
    const second = await applyTenantEvent(deps, upd);
    expect(first.ok && first.value.status).toBe('applied');
    expect(second.ok && second.value.status).toBe('duplicate');
    expect((await tenantIn('me'))?.version).toBe(2);
    expect(await stores.databases.regions.me.query('outbox', {})).toHaveLength(2);
  });

  it('refuses an update for an unknown tenant with tenant_not_found, writing nothing', async () => {
    const before = await snapshotDatabases(stores.databases);
    const r = await applyTenantEvent(deps, event('tenant.updated.v1', 'ev-9', { tenant_id: 'ghost' }));
    expect(!r.ok && r.error.code).toBe('tenant_not_found');
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
  });

  it('refuses an update that names another region with region_conflict, writing nothing', async () => {
    await applyTenantEvent(deps, event('tenant.created.v1', 'ev-1', { region: 'me' }));
    const before = await snapshotDatabases(stores.databases);
    const r = await applyTenantEvent(deps, event('tenant.updated.v1', 'ev-2', { region: 'eu' }));
    expect(!r.ok && r.error.code).toBe('region_conflict');
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
  });

  it('refuses an inconsistent policy (idle longer than absolute) with invalid_event, writing nothing', async () => {
    const before = await snapshotDatabases(stores.databases);
    const r = await applyTenantEvent(
      deps,
      event('tenant.created.v1', 'ev-1', { policy: { session: { idle_seconds: 90_000, absolute_seconds: 3_600 } } }),
    );
    expect(!r.ok && r.error.code).toBe('invalid_event');
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
    expect(await stores.directory.regionOf('t1')).toBeUndefined();
  });

  it('is applied by the first of two regions racing to create the same tenant; the other gets region_conflict', async () => {
    const [a, b] = await Promise.all([
      applyTenantEvent(deps, event('tenant.created.v1', 'ev-a', { region: 'eu' })),
      applyTenantEvent(deps, event('tenant.created.v1', 'ev-b', { region: 'us' })),
    ]);
    const outcomes = [a, b].map((r) => (r.ok ? r.value.status : r.error.code)).sort();
    expect(outcomes).toEqual(['applied', 'region_conflict']);
    const winner = (await stores.directory.regionOf('t1')) as Region;
    expect(await tenantIn(winner)).toBeDefined();
    const loser = winner === 'eu' ? 'us' : 'eu';
    expect(await stores.databases.regions[loser].query('tenants', {})).toHaveLength(0);
    expect(await stores.databases.regions[loser].query('outbox', {})).toHaveLength(0);
  });
});
