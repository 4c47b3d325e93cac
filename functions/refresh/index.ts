/**
 * The `refresh` function: `POST /v1/token` (refresh grant), `POST /v1/revoke`
 * (RFC 7009) and the self-service session routes. Config, logger, key ring,
 * secrets and the risk engine are built once per instance; Firestore is
 * imported on first use. Routes: `routes.ts`.
 */
import { createRefreshGraceCipher, ensureLocalRefreshGraceSecret } from '../../shared/adapters/crypto/refresh-grace-secrets.ts';
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import { openRiskEngine } from '../../shared/adapters/risk/open-risk-engine.ts';
import { openSecretSource } from '../../shared/adapters/secret-manager/open-secret-source.ts';
import { lazyPlatformEpochSource } from '../../shared/adapters/store/revocation-repo.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import { assessRisk } from '../../shared/domain/mfa/risk/assess-risk.ts';
import type { TenantDirectory, UnitOfWork } from '../../shared/domain/ports.ts';
import { coalesceRiskChecks } from '../../shared/domain/sessions/refresh-risk.ts';
import { createBearerVerifier } from '../../shared/http/bearer.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { serve } from '../../shared/http/framework.ts';
import { router } from '../../shared/http/router.ts';
import { createLogger } from '../../shared/log.ts';
import { refreshFunctionRoutes } from './routes.ts';

const config = loadConfig();
const log = createLogger({ service: 'refresh', level: config.logLevel });
const keyRing = await openKeyRing(config);
keyRing.published().catch((e: unknown) => log.warn('key ring not ready at cold start', { err: String(e) }));
if (config.secrets.kind === 'local') ensureLocalRefreshGraceSecret(config.secrets.dir);
const secrets = await openSecretSource(config);

let stores: Promise<Stores> | undefined;
const openStores = (): Promise<Stores> => {
  stores ??= import('../../shared/adapters/firestore/stores.ts').then((m) => m.createFirestoreStores(config));
  return stores;
};
const uow: UnitOfWork = { run: async (region, fn) => (await openStores()).uow.run(region, fn) };
const directory: TenantDirectory = {
  regionOf: async (tenantId) => (await openStores()).directory.regionOf(tenantId),
  claim: async (tenantId, region, at) => (await openStores()).directory.claim(tenantId, region, at),
};
const platformEpochs = lazyPlatformEpochSource(async () => (await openStores()).databases.platform, { clock: systemClock });
const risk = openRiskEngine(config.risk, { uow, directory, clock: systemClock, random: cryptoRandom, log });

serve(
  router(
    refreshFunctionRoutes({
      token: {
        uow,
        directory,
        clock: systemClock,
        random: cryptoRandom,
        keyRing,
        issuer: config.issuer,
        audience: config.audience,
        graceCipher: createRefreshGraceCipher(secrets),
        platformEpochs,
        risk: coalesceRiskChecks((input) => assessRisk(risk, input)),
        trustedProxies: parseTrustedProxies(config.trustedProxies.join(',')),
        log,
      },
      sessions: {
        uow,
        directory,
        clock: systemClock,
        random: cryptoRandom,
        platformEpochs,
        verifyBearer: createBearerVerifier({ keyRing, clock: systemClock, issuer: config.issuer, audience: config.audience }),
        log,
      },
    }),
  ),
  { name: 'refresh', log, projectId: config.projectId },
);
