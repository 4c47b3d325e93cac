/**
 * The `accounts` function: admin user lifecycle, the tenant policy read and
 * `POST /v1/me/password` (SPEC section 3). Config, logger and clients are
 * built once, at cold start, and reused by warm instances.
 */
import { createFirestoreStores } from '../../shared/adapters/firestore/stores.ts';
import { createHibpBreachList } from '../../shared/adapters/hibp/hibp-breach-list.ts';
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import { createOfflineBreachList } from '../../shared/adapters/local/offline-breach-list.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { platformEpochSource } from '../../shared/adapters/store/revocation-repo.ts';
import { openSecretSource } from '../../shared/adapters/secret-manager/open-secret-source.ts';
import { loadConfig } from '../../shared/config.ts';
import type { BreachList } from '../../shared/domain/ports.ts';
import { sessionIsLive } from '../../shared/domain/sessions/session-is-live.ts';
import { createBearerVerifier } from '../../shared/http/bearer.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { serve } from '../../shared/http/framework.ts';
import { router } from '../../shared/http/router.ts';
import type { HttpRequest } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { createPrincipalResolver } from './principal.ts';
import { accountsRoutes } from './routes.ts';

const config = loadConfig();
const log = createLogger({ service: 'accounts', level: config.logLevel });
const { uow, directory, databases } = createFirestoreStores(config);
const keyRing = await openKeyRing(config);
const secrets = await openSecretSource(config);
const verifier = createBearerVerifier({ keyRing, clock: systemClock, issuer: config.issuer, audience: config.audience });
// Every route here needs a live session: a revoked, expired or epoch-revoked family's token is refused.
const checkSession = sessionIsLive({ uow, directory, clock: systemClock, platformEpochs: platformEpochSource(databases.platform, { clock: systemClock }) });
const bearer = (req: Pick<HttpRequest, 'headers'>) => verifier(req, { checkSession });
const breachList: BreachList =
  config.breachList.kind === 'offline'
    ? createOfflineBreachList({ path: config.breachList.path, log })
    : createHibpBreachList({ userAgent: 'melmastoon-iam-service', log, ...(config.breachList.baseUrl === undefined ? {} : { baseUrl: config.breachList.baseUrl }) });

serve(
  router(
    accountsRoutes({
      uow,
      directory,
      clock: systemClock,
      random: cryptoRandom,
      hasher: createArgon2Hasher({ version: config.passwordHashVersion }),
      breachList,
      bearer,
      trustedProxies: parseTrustedProxies(config.trustedProxies.join(',')),
      principal: createPrincipalResolver({
        secrets,
        bootstrapSecretName: config.bootstrapSecretName,
        verifyBearer: bearer,
        uow,
        directory,
        clock: systemClock,
        log,
      }),
      log,
    }),
  ),
  { name: 'accounts', log, projectId: config.projectId },
);
