/**
 * Builds the adaptive-MFA dependencies of one instance from `config.risk`:
 * the static GeoIP table, the HTTP classifier when a URL is configured, and
 * the instance's budget and circuit breaker. Call it once at module scope
 * and pass the result to `assessRisk` / `recordSighting` on every request.
 */
import { createClassifierBreaker, DEFAULT_BREAKER_CONFIG } from '../../domain/mfa/risk/classifier-breaker.ts';
import type { RiskDeps, RiskLog } from '../../domain/mfa/risk/risk-deps.ts';
import type { Clock, GeoIp, Random, RiskClassifier, TenantDirectory, UnitOfWork } from '../../domain/ports.ts';
import { createHttpRiskClassifier } from './http-risk-classifier.ts';
import type { RiskConfig } from './risk-config.ts';
import { createStaticGeoIp } from './static-geo-ip.ts';

/** What the engine shares with the rest of the function. */
export interface RiskEngineBase {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: RiskLog;
  /** Replaces the configured classifier (tests). */
  readonly classifier?: RiskClassifier;
  /** Replaces the static GeoIP table. */
  readonly geoIp?: GeoIp;
}

/** The adaptive-MFA dependencies of one instance. */
export function openRiskEngine(config: RiskConfig, base: RiskEngineBase): RiskDeps {
  const classifier =
    base.classifier ?? (config.classifier === undefined ? undefined : createHttpRiskClassifier({ url: config.classifier.url, timeoutMs: config.classifier.timeoutMs }));
  return {
    uow: base.uow,
    directory: base.directory,
    clock: base.clock,
    random: base.random,
    log: base.log,
    geoIp: base.geoIp ?? createStaticGeoIp(config.geoIp),
    classifier,
    breaker: createClassifierBreaker({ ...DEFAULT_BREAKER_CONFIG, perMinute: config.budgetPerMinute }),
    config: { rules: config.rules, cacheSeconds: config.cacheSeconds },
  };
}
