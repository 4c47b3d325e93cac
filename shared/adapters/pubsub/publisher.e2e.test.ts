/** The Pub/Sub EventPublisher on the real emulator: ordering keys, attributes, and resuming a paused key. */
import type { Message } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorHosts, testProjectId } from '../../testing/emulator.ts';
import { closePubsubClients, pubsubClient } from './client.ts';
import { createPubSubPublisher } from './publisher.ts';

afterAll(closePubsubClients);

const encode = (s: string) => new TextEncoder().encode(s);

describe('createPubSubPublisher (emulator)', () => {
  it('publishes data, attributes and the ordering key, in order per key', async () => {
    const client = pubsubClient({ projectId: testProjectId('pub'), emulatorHost: emulatorHosts().pubsub });
    const [topic] = await client.createTopic('events');
    const [sub] = await topic.createSubscription('events-tap', { enableMessageOrdering: true });
    const publisher = createPubSubPublisher(client);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await publisher.publish({ topic: 'events', orderingKey: 'user/u1', data: encode(`{"n":${i}}`), attributes: { 'ce-id': `e${i}` } }));
    }
    expect(new Set(ids).size).toBe(5);
    const got: Message[] = [];
    sub.on('message', (m: Message) => {
      got.push(m);
      m.ack();
    });
    const deadline = Date.now() + 15_000;
    while (got.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await sub.close();
    expect(got.map((m) => m.attributes['ce-id'])).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(got.every((m) => m.orderingKey === 'user/u1')).toBe(true);
    expect(got.map((m) => m.id)).toEqual(ids);
    expect(JSON.parse(got[4]?.data.toString('utf8') ?? '')).toEqual({ n: 4 });
  });

  it('after a failed publish the key is resumed, so the next publish with it goes through', async () => {
    const client = pubsubClient({ projectId: testProjectId('pub'), emulatorHost: emulatorHosts().pubsub });
    const publisher = createPubSubPublisher(client);
    const message = { topic: 'late-topic', orderingKey: 'tenant/t1', data: encode('{}'), attributes: { 'ce-id': 'x' } };
    // the topic does not exist yet: the publish fails, and so does every
    // message queued behind it on the same key (the order is never broken)
    const results = await Promise.allSettled([publisher.publish(message), publisher.publish(message), publisher.publish(message)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/NOT_FOUND|not found/i);
    await client.createTopic('late-topic');
    // the key was resumed: the relay's next attempt goes through
    await expect(publisher.publish(message)).resolves.toMatch(/^\d+$/);
  });
});
