/**
 * A small world for adaptive-MFA tests: in-memory stores with tenant `acme`
 * (eu), a frozen clock, a static GeoIP table (Paris, London, Tokyo, an IPv6
 * network in Paris), a classifier faked at its port (or any other), and the
 * log lines captured through `createLogger({write})`.
 */
import { cryptoRandom, fixedClock } from '../../local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../memory/stores.ts';
import { seedTenant } from '../../store/contracts/fixtures.ts';
import { createClassifierBreaker, DEFAULT_BREAKER_CONFIG, type ClassifierBreakerConfig } from '../../../domain/mfa/risk/classifier-breaker.ts';
import type { RiskSignals } from '../../../domain/mfa/risk/classifier-policy.ts';
import type { RiskDeps } from '../../../domain/mfa/risk/risk-deps.ts';
import type { AuditEvent } from '../../../domain/outbox/event.ts';
import type { RiskClassifier, RiskClassifierOutcome } from '../../../domain/ports.ts';
import { createLogger } from '../../../log.ts';
import { DEFAULT_RISK_CONFIG } from '../risk-config.ts';
import { createStaticGeoIp } from '../static-geo-ip.ts';

/** 2026-03-01T12:00:00Z. */
export const RISK_T0 = Date.UTC(2026, 2, 1, 12);

/** Client addresses of the world, by where GeoIP puts them. */
export const IPS = {
  paris: '203.0.113.9',
  parisSameNet: '203.0.113.200',
  london: '198.51.100.7',
  tokyo: '192.0.2.33',
  nowhere: '100.64.0.1',
  parisV6: '2001:db8:0:1::9',
} as const;

/** The static GeoIP table of the world. */
export const GEO_TABLE = [
  { cidr: '203.0.113.0/24', lat: 48.86, lon: 2.35 },
  { cidr: '198.51.100.0/24', lat: 51.51, lon: -0.13 },
  { cidr: '192.0.2.0/24', lat: 35.68, lon: 139.69 },
  { cidr: '2001:db8::/32', lat: 48.86, lon: 2.35 },
];

/** A classifier faked at its port: answers `next`, and records the signals it was given. */
export interface FakeClassifier extends RiskClassifier {
  next: RiskClassifierOutcome | 'throw';
  readonly calls: RiskSignals[];
}

/** A fake classifier answering `same` until told otherwise. */
export function fakeClassifier(next: RiskClassifierOutcome | 'throw' = { kind: 'ok', score: 0.5, suggestion: 'same', model: 'fake-1' }): FakeClassifier {
  const c: FakeClassifier = {
    next,
    calls: [],
    async classify(signals) {
      c.calls.push(signals);
      if (c.next === 'throw') throw new Error('classifier bug');
      return c.next;
    },
  };
  return c;
}

/** What a test sees of the world. */
export interface RiskWorld {
  readonly stores: MemoryStores;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly deps: RiskDeps;
  /** Every log line written, parsed. */
  readonly lines: Record<string, unknown>[];
  /** The raw log output, for "never contains" checks. */
  readonly raw: string[];
  /** Every audit event of tenant `acme`, oldest first. */
  audit(): Promise<readonly AuditEvent[]>;
}

/** Options of {@link riskWorld}. */
export interface RiskWorldOptions {
  readonly classifier?: RiskClassifier;
  readonly breaker?: Partial<ClassifierBreakerConfig>;
  readonly cacheSeconds?: number;
}

/** A fresh world. */
export async function riskWorld(options: RiskWorldOptions = {}): Promise<RiskWorld> {
  const stores = createMemoryStores();
  await seedTenant(stores, 'acme', 'eu');
  const clock = fixedClock(RISK_T0);
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'risk-test',
    level: 'DEBUG',
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const deps: RiskDeps = {
    uow: stores.uow,
    directory: stores.directory,
    clock,
    random: cryptoRandom,
    geoIp: createStaticGeoIp(GEO_TABLE),
    classifier: options.classifier,
    breaker: createClassifierBreaker({ ...DEFAULT_BREAKER_CONFIG, ...options.breaker }),
    config: { rules: DEFAULT_RISK_CONFIG.rules, cacheSeconds: options.cacheSeconds ?? DEFAULT_RISK_CONFIG.cacheSeconds },
    log,
  };
  return {
    stores,
    clock,
    deps,
    lines,
    raw,
    audit: () => stores.uow.run('eu', (tx) => tx.audit.between('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z', 'acme')),
  };
}
