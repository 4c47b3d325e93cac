/**
 * The `mfa-verify` function: TOTP enrolment, recovery codes, WebAuthn and
 * `POST /v1/mfa/verify` (docs/mfa.md, docs/api.md). Config, logger, key ring,
 * secrets and stores are built once per instance and reused by warm instances.
 */
import { createMfaCryptoDeps } from '../../shared/adapters/crypto/mfa-secrets.ts';
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import { openSecretSource } from '../../shared/adapters/secret-manager/open-secret-source.ts';
import { lazyPlatformEpochSource } from '../../shared/adapters/store/revocation-repo.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { TenantDirectory, UnitOfWork } from '../../shared/domain/ports.ts';
import { sessionIsLive } from '../../shared/domain/sessions/session-is-live.ts';
import { openRiskEngine } from '../../shared/adapters/risk/open-risk-engine.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { serve } from '../../shared/http/framework.ts';
import { router } from '../../shared/http/router.ts';
import { createLogger } from '../../shared/log.ts';
import { createMfaBearer } from './mfa-bearer.ts';
import { mfaVerifyRoutes } from './routes.ts';

/** The issuer label authenticator apps show beside the account. */
const TOTP_ISSUER = 'Melmastoon';

const config = loadConfig();
const log = createLogger({ service: 'mfa-verify', level: config.logLevel });
const keyRing = await openKeyRing(config);
keyRing.published().catch((e: unknown) => log.warn('key ring not ready at cold start', { err: String(e) }));
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
// Changing factors needs a live session: a revoked session's token is refused at once.
const checkSession = sessionIsLive({ uow, directory, clock: systemClock, platformEpochs });
const verifyBearer = createMfaBearer({ keyRing, clock: systemClock, issuer: config.issuer, audience: config.audience, checkSession });
// Module scope: the classifier budget and breaker live in it (docs/adaptive-mfa.md).
const risk = openRiskEngine(config.risk, { uow, directory, clock: systemClock, random: cryptoRandom, log });

serve(
  router(
    mfaVerifyRoutes({
      mfa: { uow, directory, clock: systemClock, random: cryptoRandom, ...createMfaCryptoDeps(secrets) },
      verifyBearer,
      log,
      keyRing,
      issuer: config.issuer,
      audience: config.audience,
      trustedProxies: parseTrustedProxies(config.trustedProxies.join(',')),
      totpIssuer: TOTP_ISSUER,
      risk,
    }),
  ),
  { name: 'mfa-verify', log, projectId: config.projectId },
);
