import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../adapters/memory/stores.ts';
import { createMemoryPublisher, type MemoryPublisher } from '../../adapters/pubsub/memory-publisher.ts';
import type { Region } from '../tenants/tenant.ts';
import { EVENT_SOURCE, type DomainEvent } from './event.ts';
import { DEFAULT_LEASE_MS, relayOutbox, type RelayOutboxDeps } from './relay-outbox.ts';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const TOPIC = 'iam-events';

function domainEvent(id: string, tenant: string, key = `tenant/${tenant}`): DomainEvent {
  return {
    id,
    type: 'iam.tenant.updated.v1',
    source: EVENT_SOURCE,
    subject: key,
    time: new Date(T0).toISOString(),
    tenant_id: tenant,
    ordering_key: key,
    data: { tenant_id: tenant, n: id },
  };
}

/** Writes outbox rows directly, one transaction each, one millisecond apart. */
async function seed(stores: MemoryStores, region: Region, tenant: string, ids: readonly string[], key?: string): Promise<void> {
  await stores.directory.claim(tenant, region, new Date(T0).toISOString());
  for (const [i, id] of ids.entries()) {
    await stores.uow.run(region, async (tx) => tx.outbox.add(domainEvent(id, tenant, key), new Date(T0 + i).toISOString()));
  }
}

async function rows(stores: MemoryStores, region: Region) {
  return stores.uow.run(region, (tx) => tx.outbox.createdBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z'));
}

describe('relayOutbox', () => {
  let stores: MemoryStores;
  let publisher: MemoryPublisher;
  let clock: ReturnType<typeof fixedClock>;
  let deps: RelayOutboxDeps;

  beforeEach(() => {
    stores = createMemoryStores();
    publisher = createMemoryPublisher();
    clock = fixedClock(T0 + 10_000);
    deps = { uow: stores.uow, publisher, clock, topic: TOPIC };
  });

  it('publishes every pending row of every region with the CloudEvents binary binding, then marks it published', async () => {
    await seed(stores, 'eu', 'a', ['e1', 'e2']);
    await seed(stores, 'us', 'b', ['e3']);
    const report = await relayOutbox(deps, { limit: 10 });
    expect(report).toMatchObject({ leased: 3, published: 3, failures: [] });
    expect(report.by_region).toEqual({ eu: { leased: 2, published: 2 }, me: { leased: 0, published: 0 }, us: { leased: 1, published: 1 } });
    const e1 = publisher.messages.find((m) => m.attributes['ce-id'] === 'e1');
    expect(e1).toMatchObject({
      topic: TOPIC,
      orderingKey: 'tenant/a',
      attributes: {
        'ce-specversion': '1.0',
        'ce-id': 'e1',
        'ce-type': 'iam.tenant.updated.v1',
        'ce-source': EVENT_SOURCE,
        'ce-time': new Date(T0).toISOString(),
        'ce-subject': 'tenant/a',
        'content-type': 'application/json',
        tenant_id: 'a',
      },
    });
    expect(JSON.parse(new TextDecoder().decode(e1?.data))).toEqual({ tenant_id: 'a', n: 'e1' });
    for (const r of [...(await rows(stores, 'eu')), ...(await rows(stores, 'us'))]) {
      expect(r.published_at).toBe(new Date(T0 + 10_000).toISOString());
      expect(r.attempts).toBe(1);
    }
    const again = await relayOutbox(deps, { limit: 10 });
    expect(again).toMatchObject({ leased: 0, published: 0 });
    expect(publisher.messages).toHaveLength(3);
  });

  it('keeps the order of one aggregate', async () => {
    await seed(stores, 'me', 't', ['m1', 'm2', 'm3', 'm4']);
    await relayOutbox(deps, { limit: 10 });
    expect(publisher.messages.map((m) => m.attributes['ce-id'])).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('takes at most `limit` rows per region, oldest first', async () => {
    await seed(stores, 'me', 't', ['m1', 'm2', 'm3']);
    expect((await relayOutbox(deps, { limit: 2 })).published).toBe(2);
    expect(publisher.messages.map((m) => m.attributes['ce-id'])).toEqual(['m1', 'm2']);
    expect((await relayOutbox(deps, { limit: 2 })).published).toBe(1);
    expect(publisher.messages.map((m) => m.attributes['ce-id'])).toEqual(['m1', 'm2', 'm3']);
  });

  it('two relays running at once publish each row once (the lease)', async () => {
    await seed(stores, 'eu', 'a', ['e1', 'e2', 'e3', 'e4', 'e5']);
    await seed(stores, 'eu', 'b', ['f1', 'f2', 'f3']);
    const [r1, r2] = await Promise.all([relayOutbox(deps, { limit: 50 }), relayOutbox(deps, { limit: 50 })]);
    expect(r1.published + r2.published).toBe(8);
    const ids = publisher.messages.map((m) => m.attributes['ce-id']).sort();
    expect(ids).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'f1', 'f2', 'f3']);
  });

  it('a failed publish is reported, blocks the later rows of its aggregate only, and is retried after the lease', async () => {
    await seed(stores, 'eu', 'a', ['a1', 'a2', 'a3']);
    await seed(stores, 'eu', 'b', ['b1']);
    publisher.failWhen((m) => m.attributes['ce-id'] === 'a2');
    const report = await relayOutbox(deps, { limit: 10 });
    expect(report.published).toBe(2);
    expect(report.failures).toEqual([
      { region: 'eu', event_id: 'a2', ordering_key: 'tenant/a', reason: 'publish_failed', error: 'Error: publish refused by the test double' },
      { region: 'eu', event_id: 'a3', ordering_key: 'tenant/a', reason: 'blocked', error: null },
    ]);
    expect(publisher.messages.map((m) => m.attributes['ce-id']).sort()).toEqual(['a1', 'b1']);

    publisher.failWhen(undefined);
    // still leased: a run right away leaves them alone
    expect((await relayOutbox(deps, { limit: 10 })).leased).toBe(0);
    clock.advance(DEFAULT_LEASE_MS);
    const retry = await relayOutbox(deps, { limit: 10 });
    expect(retry).toMatchObject({ leased: 2, published: 2, failures: [] });
    expect(publisher.messages.map((m) => m.attributes['ce-id']).sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
    const a = publisher.messages.filter((m) => m.orderingKey === 'tenant/a').map((m) => m.attributes['ce-id']);
    expect(a).toEqual(['a1', 'a2', 'a3']);
    const byId = new Map((await rows(stores, 'eu')).map((r) => [r.id, r]));
    expect(byId.get('a2')?.attempts).toBe(2);
    expect(byId.get('a1')?.attempts).toBe(1);
  });

  it('re-publishes the rows of a relay that crashed after leasing them, once the lease has lapsed', async () => {
    await seed(stores, 'us', 'c', ['c1', 'c2']);
    // a relay that leased the rows and died before publishing
    await stores.uow.run('us', async (tx) => {
      for (const r of await tx.outbox.pending(new Date(clock.now()).toISOString(), 10)) {
        tx.outbox.lease(r.id, new Date(clock.now() + 5_000).toISOString(), r.attempts + 1);
      }
    });
    expect((await relayOutbox(deps, { limit: 10 })).published).toBe(0);
    clock.advance(5_000);
    expect((await relayOutbox(deps, { limit: 10 })).published).toBe(2);
  });

  it('a region whose storage fails does not stop the others; the failure is thrown after they finished', async () => {
    await seed(stores, 'eu', 'a', ['e1']);
    await seed(stores, 'us', 'b', ['u1']);
    const broken: RelayOutboxDeps = {
      ...deps,
      uow: {
        run: (region, fn) => (region === 'us' ? Promise.reject(new Error('firestore down')) : stores.uow.run(region, fn)),
      },
    };
    await expect(relayOutbox(broken, { limit: 10 })).rejects.toThrow('firestore down');
    expect(publisher.messages.map((m) => m.attributes['ce-id'])).toEqual(['e1']);
    expect((await rows(stores, 'eu'))[0]?.published_at).not.toBeNull();
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(relayOutbox(deps, { limit: 0 })).rejects.toThrow(RangeError);
  });
});
