/**
 * The `token` function: the JWKS and the discovery document (later also
 * login and magic links). Config, logger and clients are built once, at
 * cold start, and reused by warm instances.
 */
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { loadConfig } from '../../shared/config.ts';
import { serve } from '../../shared/http/framework.ts';
import { router } from '../../shared/http/router.ts';
import { createLogger } from '../../shared/log.ts';
import { tokenRoutes } from './routes.ts';

const config = loadConfig();
const log = createLogger({ service: 'token', level: config.logLevel });
const keyRing = await openKeyRing(config);
// Warm the ring while the framework starts, so the first request finds the keys in memory.
keyRing.published().catch((e: unknown) => log.warn('key ring not ready at cold start', { err: String(e) }));

serve(router(tokenRoutes({ keyRing, issuer: config.issuer })), { name: 'token', log, projectId: config.projectId });
