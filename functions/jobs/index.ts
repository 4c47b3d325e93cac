/**
 * The `jobs` function: Cloud Scheduler's target. The Firestore and Pub/Sub
 * clients are built once per instance, on the first job rather than at cold
 * start, so the health check answers before the SDKs are even imported.
 */
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { loadConfig } from '../../shared/config.ts';
import { serve } from '../../shared/http/framework.ts';
import { createLogger } from '../../shared/log.ts';
import { jobsHandler, type JobsRuntime } from './handler.ts';

const config = loadConfig();
const log = createLogger({ service: 'jobs', level: config.logLevel });

let runtime: Promise<JobsRuntime> | undefined;

async function build(): Promise<JobsRuntime> {
  const [{ createFirestoreStores }, { pubsubClient }, { createPubSubPublisher }] = await Promise.all([
    import('../../shared/adapters/firestore/stores.ts'),
    import('../../shared/adapters/pubsub/client.ts'),
    import('../../shared/adapters/pubsub/publisher.ts'),
  ]);
  const { uow } = createFirestoreStores(config);
  const publisher = createPubSubPublisher(pubsubClient({ projectId: config.projectId, emulatorHost: config.emulators.pubsub }));
  return { uow, publisher, eventsTopic: config.eventsTopic };
}

serve(
  jobsHandler({
    runtime: () => {
      runtime ??= build().catch((e: unknown) => {
        runtime = undefined;
        throw e;
      });
      return runtime;
    },
    clock: systemClock,
    log,
    passwords: { hasher: createArgon2Hasher({ version: config.passwordHashVersion }), random: cryptoRandom },
  }),
  { name: 'jobs', log, projectId: config.projectId },
);
