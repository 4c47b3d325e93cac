import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../adapters/memory/stores.ts';
import type { Region } from '../tenants/tenant.ts';
import { EVENT_SOURCE, type AuditEvent, type DomainEvent } from './event.ts';
import { reconcileOutbox } from './reconcile-outbox.ts';

const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const H = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function ev(id: string, tenant: string): DomainEvent {
  return { id, type: 'iam.tenant.created.v1', source: EVENT_SOURCE, subject: `tenant/${tenant}`, time: iso(T0), tenant_id: tenant, ordering_key: `tenant/${tenant}`, data: {} };
}

function audit(id: string, tenant: string, at: number, eventId: string | null): AuditEvent {
  return { id, tenant_id: tenant, at: iso(at), actor: { type: 'platform', id: 'test' }, action: 'tenant.created', target: `tenant/${tenant}`, event_id: eventId, request_id: null, details: {} };
}

describe('reconcileOutbox', () => {
  let stores: MemoryStores;
  const clock = fixedClock(T0 + 24 * H);

  beforeEach(async () => {
    stores = createMemoryStores();
    for (const [t, r] of [['a', 'eu'], ['b', 'me'], ['c', 'us']] as const) await stores.directory.claim(t, r, iso(T0));
  });

  /** The normal case: an outbox row and its audit event in one transaction, same instant. */
  async function change(region: Region, tenant: string, eventId: string, at: number, published: boolean) {
    await stores.uow.run(region, async (tx) => {
      tx.outbox.add(ev(eventId, tenant), iso(at));
      tx.audit.add(audit(`audit-${eventId}`, tenant, at, eventId));
    });
    if (published) await stores.uow.run(region, async (tx) => tx.outbox.markPublished(eventId, iso(at + 1000)));
  }

  const window = { from: iso(T0), to: iso(T0 + 24 * H) };

  it('reports ok when every audit event has its row, every row its audit event, and all are published', async () => {
    await change('eu', 'a', 'e1', T0 + H, true);
    await change('me', 'b', 'e2', T0 + 2 * H, true);
    await stores.uow.run('us', async (tx) => tx.audit.add(audit('no-event', 'c', T0 + 3 * H, null)));
    const report = await reconcileOutbox({ uow: stores.uow, clock }, window);
    expect(report).toMatchObject({
      ok: true,
      from: window.from,
      to: window.to,
      counts: { audit_events: 3, outbox_rows: 2, published: 2, missing_outbox: 0, missing_audit: 0, stale_unpublished: 0 },
    });
  });

  it('finds an audit event whose outbox row is missing', async () => {
    await stores.uow.run('eu', async (tx) => tx.audit.add(audit('lonely', 'a', T0 + H, 'ghost-event')));
    const report = await reconcileOutbox({ uow: stores.uow, clock }, window);
    expect(report.ok).toBe(false);
    expect(report.missing_outbox).toEqual([{ region: 'eu', audit_id: 'lonely', event_id: 'ghost-event', action: 'tenant.created', at: iso(T0 + H) }]);
  });

  it('finds an outbox row no audit event names', async () => {
    await stores.uow.run('me', async (tx) => tx.outbox.add(ev('orphan', 'b'), iso(T0 + H)));
    await stores.uow.run('me', async (tx) => tx.outbox.markPublished('orphan', iso(T0 + H)));
    const report = await reconcileOutbox({ uow: stores.uow, clock }, window);
    expect(report.ok).toBe(false);
    expect(report.missing_audit).toEqual([{ region: 'me', event_id: 'orphan', type: 'iam.tenant.created.v1', created_at: iso(T0 + H) }]);
    expect(report.missing_outbox).toEqual([]);
  });

  it('finds rows unpublished for too long, but not fresh ones', async () => {
    await change('us', 'c', 'old', T0 + H, false);
    await change('us', 'c', 'fresh', T0 + 24 * H - 60_000, false);
    const report = await reconcileOutbox({ uow: stores.uow, clock }, window);
    expect(report.stale_unpublished).toEqual([{ region: 'us', event_id: 'old', type: 'iam.tenant.created.v1', created_at: iso(T0 + H), attempts: 0 }]);
    expect(report.counts).toMatchObject({ outbox_rows: 2, published: 0, stale_unpublished: 1, missing_audit: 0, missing_outbox: 0 });
  });

  it('does not flag partners that fall just outside the window', async () => {
    // the audit event is inside the window, its row was created a second before it
    await stores.uow.run('eu', async (tx) => {
      tx.outbox.add(ev('edge-1', 'a'), iso(T0 - 1000));
      tx.audit.add(audit('audit-edge-1', 'a', T0, 'edge-1'));
    });
    // the row is inside, its audit event a second after the window
    await stores.uow.run('eu', async (tx) => {
      tx.outbox.add(ev('edge-2', 'a'), iso(T0 + 24 * H - 1));
      tx.audit.add(audit('audit-edge-2', 'a', T0 + 24 * H + 1000, 'edge-2'));
    });
    await stores.uow.run('eu', async (tx) => {
      tx.outbox.markPublished('edge-1', iso(T0));
      tx.outbox.markPublished('edge-2', iso(T0 + 24 * H));
    });
    const report = await reconcileOutbox({ uow: stores.uow, clock }, window);
    expect(report.missing_outbox).toEqual([]);
    expect(report.missing_audit).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses an empty or reversed window', async () => {
    await expect(reconcileOutbox({ uow: stores.uow, clock }, { from: window.to, to: window.from })).rejects.toThrow(RangeError);
    await expect(reconcileOutbox({ uow: stores.uow, clock }, { from: 'x', to: window.to })).rejects.toThrow(RangeError);
  });
});
