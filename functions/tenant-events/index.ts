/**
 * The `tenant-events` function: the target of the `tenant-events-push`
 * Pub/Sub push subscription. Clients are built once, at cold start.
 */
import { createFirestoreStores } from '../../shared/adapters/firestore/stores.ts';
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { serve } from '../../shared/http/framework.ts';
import { createLogger } from '../../shared/log.ts';
import { tenantEventsHandler } from './handler.ts';

const config = loadConfig();
const log = createLogger({ service: 'tenant-events', level: config.logLevel });
const { uow, directory } = createFirestoreStores(config);

serve(
  tenantEventsHandler({
    uow,
    directory,
    clock: systemClock,
    random: cryptoRandom,
    policyDefaults: { publicOrigin: config.publicOrigin },
    log,
  }),
  { name: 'tenant-events', log, projectId: config.projectId },
);
