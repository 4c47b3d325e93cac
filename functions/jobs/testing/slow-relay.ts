/**
 * Test helper (run as a child process by `relay-crash.e2e.test.ts`): one outbox
 * relay run against the emulators whose publisher is slow, so a test can
 * SIGKILL it mid-batch. After each publish that Pub/Sub accepted it prints
 * `published <event id>` and then waits `--delay-ms` before the relay marks
 * the row published: a kill then leaves a row published but not marked.
 *
 * Usage: node functions/jobs/testing/slow-relay.ts --delay-ms 400 --lease-ms 2000
 * (configuration from the environment, as in the `jobs` function).
 */
import { parseArgs } from 'node:util';
import { createFirestoreStores } from '../../../shared/adapters/firestore/stores.ts';
import { systemClock } from '../../../shared/adapters/local/clock.ts';
import { pubsubClient } from '../../../shared/adapters/pubsub/client.ts';
import { createPubSubPublisher } from '../../../shared/adapters/pubsub/publisher.ts';
import { loadConfig } from '../../../shared/config.ts';
import { relayOutbox } from '../../../shared/domain/outbox/relay-outbox.ts';
import type { EventPublisher } from '../../../shared/domain/ports.ts';

const { values } = parseArgs({ options: { 'delay-ms': { type: 'string' }, 'lease-ms': { type: 'string' } }, strict: true });
const delayMs = Number(values['delay-ms'] ?? '400');
const leaseMs = Number(values['lease-ms'] ?? '2000');

const config = loadConfig();
const { uow } = createFirestoreStores(config);
const real = createPubSubPublisher(pubsubClient({ projectId: config.projectId, emulatorHost: config.emulators.pubsub }));
const slow: EventPublisher = {
  async publish(message) {
    const id = await real.publish(message);
    process.stdout.write(`published ${message.attributes['ce-id'] ?? '?'}\n`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return id;
  },
};

const report = await relayOutbox({ uow, publisher: slow, clock: systemClock, topic: config.eventsTopic, leaseMs }, { limit: 100 });
process.stdout.write(`done ${JSON.stringify(report)}\n`);
process.exit(0);
