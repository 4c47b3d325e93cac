/**
 * What the adaptive-MFA use cases (`assessRisk`, `recordSighting`) need, and
 * the steps they share: the region, the pseudonyms and the location of an
 * attempt.
 */
import { IamError } from '../../errors.ts';
import type { Clock, GeoIp, GeoPoint, Random, RiskClassifier, TenantDirectory, UnitOfWork } from '../../ports.ts';
import type { Region } from '../../tenants/tenant.ts';
import type { ClassifierBreaker } from './classifier-breaker.ts';
import { clientNetwork, type ClientNetwork } from './network.ts';
import type { RiskRulesConfig } from './rules.ts';
import { deviceKey, networkKey } from './sightings.ts';

/**
 * Where provenance goes: a structural subset of the JSON logger
 * (`shared/log.ts` `Logger`), which masks addresses and redacts secrets.
 */
export interface RiskLog {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** The engine's settings (from `config.risk`). */
export interface RiskEngineConfig {
  readonly rules: RiskRulesConfig;
  /** How long a decision is reused for the same (user, network); 0 turns the cache off. */
  readonly cacheSeconds: number;
}

/** The ports and settings of adaptive MFA. */
export interface RiskDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  readonly geoIp: GeoIp;
  /** The optional AI classifier; undefined when none is configured. */
  readonly classifier: RiskClassifier | undefined;
  /** The per-tenant budget and the circuit breaker of the classifier (one per instance). */
  readonly breaker: ClassifierBreaker;
  readonly config: RiskEngineConfig;
  readonly log: RiskLog;
}

/** Who is attempting what, from where. */
export interface AttemptContext {
  readonly tenantId: string;
  readonly userId: string;
  /** The client's device id; absent or null when the client sent none. */
  readonly deviceId?: string | null;
  /** The client IP (full, or masked to /24 or /48); undefined when unknown. Never stored. */
  readonly ip: string | undefined;
  /** The tenant's region when the caller knows it already (saves a directory read). */
  readonly region?: Region;
}

/** The facts of an attempt that are derived before any storage is touched. */
export interface AttemptFacts {
  readonly region: Region;
  readonly network: ClientNetwork | undefined;
  /** The /24 or /48, or `unknown`: the only form of the address that is logged or stored in clear. */
  readonly masked: string;
  readonly deviceKey: string | undefined;
  /** The network pseudonym; undefined when the address is unknown. */
  readonly networkKey: string | undefined;
  /** The cache key: the network pseudonym, or the pseudonym of `unknown`. */
  readonly cacheKey: string;
}

/** Resolves the region and the pseudonyms of an attempt. Throws `tenant_not_found` for an unknown tenant (a caller's bug). */
export async function attemptFacts(deps: Pick<RiskDeps, 'directory'>, ctx: AttemptContext): Promise<AttemptFacts> {
  const region = ctx.region ?? (await deps.directory.regionOf(ctx.tenantId));
  if (region === undefined) throw new IamError('tenant_not_found', 'the tenant is not known');
  const network = clientNetwork(ctx.ip);
  const masked = network?.prefix ?? 'unknown';
  const device = ctx.deviceId === undefined || ctx.deviceId === null || ctx.deviceId === '' ? undefined : ctx.deviceId;
  const [dKey, cacheKey] = await Promise.all([
    device === undefined ? undefined : deviceKey(ctx.tenantId, ctx.userId, device),
    networkKey(ctx.tenantId, ctx.userId, masked),
  ]);
  return { region, network, masked, deviceKey: dKey, networkKey: network === undefined ? undefined : cacheKey, cacheKey };
}

/** Locates the network; undefined when GeoIP does not know it, answers nonsense, or fails (logged). */
export async function locate(deps: Pick<RiskDeps, 'geoIp' | 'log'>, network: ClientNetwork | undefined): Promise<GeoPoint | undefined> {
  if (network === undefined) return undefined;
  try {
    const p = await deps.geoIp.locate(network.address);
    const valid = p !== undefined && Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;
    return valid ? { lat: p.lat, lon: p.lon } : undefined;
  } catch (e) {
    // Travel is then not judged: the other rules still decide.
    // Only the error's name: a message could quote the address.
    deps.log.warn('geoip lookup failed', { network: network.prefix, err: e instanceof Error ? e.name : typeof e });
    return undefined;
  }
}
