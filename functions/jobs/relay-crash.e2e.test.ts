/**
 * ACCEPTANCE (issue 2): "if the relay is killed mid-batch and restarted, every
 * outbox row is still published at least once, and a consumer that sees an
 * event twice applies it once." Done for real: Firestore and Pub/Sub
 * emulators, a relay child process SIGKILLed mid-batch, a second relay, and a
 * subscriber that pulls everything and dedupes on `ce-id` in a transaction.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { systemClock } from '../../shared/adapters/local/clock.ts';
import { closePubsubClients, pubsubClient } from '../../shared/adapters/pubsub/client.ts';
import { createPubSubPublisher } from '../../shared/adapters/pubsub/publisher.ts';
import { loadConfig } from '../../shared/config.ts';
import { EVENT_SOURCE, type DomainEvent } from '../../shared/domain/outbox/event.ts';
import { relayOutbox } from '../../shared/domain/outbox/relay-outbox.ts';
import type { Region } from '../../shared/domain/tenants/tenant.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';

afterAll(async () => {
  await closePubsubClients();
  await terminateFirestoreClients();
});

const LEASE_MS = 2_000;
const TENANTS: ReadonlyArray<readonly [string, Region]> = [
  ['alpha', 'eu'],
  ['beta', 'eu'],
  ['gamma', 'us'],
];
const PER_TENANT = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Received {
  readonly id: string;
  readonly orderingKey: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: unknown;
}

/** Pulls until every id in `expected` has arrived and the subscription has been quiet for `quietMs`. */
async function drain(sub: Subscription, expected: ReadonlySet<string>, quietMs: number, timeoutMs: number): Promise<Received[]> {
  const got: Received[] = [];
  let last = Date.now();
  const onMessage = (m: Message) => {
    got.push({ id: m.attributes['ce-id'] ?? '', orderingKey: m.orderingKey ?? '', attributes: { ...m.attributes }, data: JSON.parse(m.data.toString('utf8')) });
    last = Date.now();
    m.ack();
  };
  sub.on('message', onMessage);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = new Set(got.map((g) => g.id));
    if ([...expected].every((id) => seen.has(id)) && Date.now() - last > quietMs) break;
    await sleep(100);
  }
  sub.removeListener('message', onMessage);
  await sub.close();
  return got;
}

describe('outbox relay killed mid-batch (real emulators, real child process)', () => {
  it('publishes every row at least once, with ordering keys, and a deduping consumer applies each once', { timeout: 120_000 }, async () => {
    const projectId = testProjectId('relay');
    const env = testEnv(projectId);
    const config = loadConfig(env);
    const { uow, directory } = createFirestoreStores(config);
    const pubsub = pubsubClient({ projectId, emulatorHost: config.emulators.pubsub });
    const [topic] = await pubsub.createTopic(config.eventsTopic);
    const [sub] = await topic.createSubscription('relay-crash-tap', { enableMessageOrdering: true, ackDeadlineSeconds: 60 });

    // 12 outbox rows: 3 aggregates in 2 regions, 4 events each, in creation order.
    const order = new Map<string, string[]>();
    const all = new Set<string>();
    const base = Date.now() - 60_000;
    for (const [tenant, region] of TENANTS) {
      await directory.claim(tenant, region, new Date(base).toISOString());
      for (let i = 0; i < PER_TENANT; i++) {
        const id = `${tenant}-${i}-${projectId}`;
        const event: DomainEvent = {
          id,
          type: 'iam.tenant.updated.v1',
          source: EVENT_SOURCE,
          subject: `tenant/${tenant}`,
          time: new Date(base + i).toISOString(),
          tenant_id: tenant,
          ordering_key: `tenant/${tenant}`,
          data: { tenant_id: tenant, seq: i },
        };
        await uow.run(region, async (tx) => tx.outbox.add(event, new Date(base + i).toISOString()));
        order.set(event.ordering_key, [...(order.get(event.ordering_key) ?? []), id]);
        all.add(id);
      }
    }

    // 1. A slow relay in a child process; SIGKILL it once 5 rows went out.
    const child = spawn(process.execPath, ['functions/jobs/testing/slow-relay.ts', '--delay-ms', '500', '--lease-ms', String(LEASE_MS)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const publishedByChild: string[] = [];
    let buffered = '';
    const fiveOut = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('published ')) publishedByChild.push(line.slice(10));
        if (publishedByChild.length >= 5) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the relay child exited (${code}) before it was killed: ${stderr}`)));
    });
    await fiveOut;
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(child.signalCode).toBe('SIGKILL');

    // Mid-batch for real: some rows published and marked, some published but
    // not marked, the rest leased by a relay that no longer exists.
    const rowsNow = (await Promise.all((['eu', 'us'] as const).map((r) => uow.run(r, (tx) => tx.outbox.createdBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z'))))).flat();
    expect(rowsNow).toHaveLength(all.size);
    const unmarked = rowsNow.filter((r) => r.published_at === null);
    expect(unmarked.length).toBeGreaterThan(0);
    expect(unmarked.every((r) => r.lease_until !== null)).toBe(true);
    const publishedButUnmarked = publishedByChild.filter((id) => unmarked.some((r) => r.id === id));
    expect(publishedButUnmarked.length).toBeGreaterThan(0);

    // 2. Restart: a relay run before the lease lapsed leaves the rows alone; after it, it takes them.
    const publisher = createPubSubPublisher(pubsub);
    const relayDeps = { uow, publisher, clock: systemClock, topic: config.eventsTopic };
    const leaseEnd = Math.max(...unmarked.map((r) => Date.parse(r.lease_until ?? '')));
    if (leaseEnd - Date.now() > 500) expect((await relayOutbox(relayDeps, { limit: 100 })).leased).toBe(0);
    await sleep(Math.max(0, leaseEnd - Date.now()) + 100);
    const report = await relayOutbox(relayDeps, { limit: 100 });
    expect(report.failures).toEqual([]);
    expect(report.published).toBe(unmarked.length);
    const rowsAfter = (await Promise.all((['eu', 'us'] as const).map((r) => uow.run(r, (tx) => tx.outbox.createdBetween('2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z'))))).flat();
    expect(rowsAfter.filter((r) => r.published_at === null)).toEqual([]);

    // 3. Everything arrived at least once; the rows published-but-unmarked arrived twice.
    const received = await drain(sub, all, 1_500, 30_000);
    const ids = new Set(received.map((m) => m.id));
    for (const id of all) expect(ids.has(id), `event ${id} never arrived`).toBe(true);
    expect(received.length).toBeGreaterThan(all.size);
    for (const id of publishedButUnmarked) expect(received.filter((m) => m.id === id).length).toBeGreaterThanOrEqual(2);

    // Ordering key on every message = the aggregate; binding attributes present.
    for (const m of received) {
      expect(m.orderingKey).toBe(`tenant/${m.attributes['tenant_id']}`);
      expect(m.attributes).toMatchObject({ 'ce-specversion': '1.0', 'ce-type': 'iam.tenant.updated.v1', 'ce-source': EVENT_SOURCE, 'ce-subject': m.orderingKey });
      expect(Date.parse(m.attributes['ce-time'] ?? '')).not.toBeNaN();
    }
    // Per aggregate, first deliveries come in creation order.
    for (const [key, expectedOrder] of order) {
      const firsts: string[] = [];
      for (const m of received) if (m.orderingKey === key && !firsts.includes(m.id)) firsts.push(m.id);
      expect(firsts).toEqual(expectedOrder);
    }

    // 4. A consumer deduping on ce-id in a transaction applies each event once,
    //    even with every delivery (duplicates included) handled concurrently.
    let applied = 0;
    await Promise.all(
      received.map(async (m) => {
        const tenant = m.attributes['tenant_id'] ?? '';
        const region = (await directory.regionOf(tenant)) as Region;
        const didApply = await uow.run(region, async (tx) => {
          if (await tx.inbox.seen('relay-crash-consumer', m.id)) return false;
          tx.inbox.record('relay-crash-consumer', m.id, tenant, new Date().toISOString());
          return true;
        });
        if (didApply) applied++;
      }),
    );
    expect(applied).toBe(all.size);
    const inboxCount = (await Promise.all((['eu', 'us'] as const).map((r) => createFirestoreStores(config).databases.regions[r].query('inbox', { where: [['consumer', '==', 'relay-crash-consumer']] })))).flat().length;
    expect(inboxCount).toBe(all.size);
  });
});
