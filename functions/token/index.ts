/**
 * The `token` function: the JWKS and the discovery document, `POST /v1/login`
 * and the magic links. Config, logger and clients are built once per
 * instance and reused by warm instances. Firestore (for logins) is imported
 * on first use, so the documents answer without waiting for its SDK.
 */
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import { createDevMailbox, noMailer } from '../../shared/adapters/local/dev-mailbox.ts';
import { createStaticIpReputation } from '../../shared/adapters/local/static-ip-reputation.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { openRiskEngine } from '../../shared/adapters/risk/open-risk-engine.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { Mailer, TenantDirectory, UnitOfWork } from '../../shared/domain/ports.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { serve } from '../../shared/http/framework.ts';
import { router } from '../../shared/http/router.ts';
import { createLogger } from '../../shared/log.ts';
import { tokenRoutes } from './routes.ts';

const config = loadConfig();
const log = createLogger({ service: 'token', level: config.logLevel });
const keyRing = await openKeyRing(config);
// Warm the ring while the framework starts, so the first request finds the keys in memory.
keyRing.published().catch((e: unknown) => log.warn('key ring not ready at cold start', { err: String(e) }));

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
const mailer: Mailer =
  config.mailer === 'dev-mailbox'
    ? { send: async (m) => createDevMailbox((await openStores()).databases.platform, { clock: systemClock, random: cryptoRandom }).send(m) }
    : noMailer;

serve(
  router(
    tokenRoutes({
      keyRing,
      issuer: config.issuer,
      login: {
        uow,
        directory,
        clock: systemClock,
        random: cryptoRandom,
        keyRing,
        issuer: config.issuer,
        audience: config.audience,
        hasher: createArgon2Hasher({ version: config.passwordHashVersion }),
        ipReputation: createStaticIpReputation(config.ipReputation),
        // Adaptive MFA (docs/adaptive-mfa.md); module scope, so the classifier budget and breaker persist.
        risk: openRiskEngine(config.risk, { uow, directory, clock: systemClock, random: cryptoRandom, log }),
        mailer,
        magicLinkUrl: config.magicLinkUrl,
        magicLinkFloorMs: 400,
        // Above two Argon2id runs and the reservation transaction: a wrapped hash's extra layer stays hidden.
        loginRefusalFloorMs: 250,
        trustedProxies: parseTrustedProxies(config.trustedProxies.join(',')),
        log,
      },
    }),
  ),
  { name: 'token', log, projectId: config.projectId },
);
