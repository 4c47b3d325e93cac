/**
 * The adaptive-MFA settings (docs/adaptive-mfa.md), parsed from the
 * environment that `loadConfig` hands over (`config.risk`). Nothing here
 * reads `process.env` itself.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `IAM_RISK_CLASSIFIER_URL` | unset: no classifier | where the AI classifier is POSTed |
 * | `IAM_RISK_CLASSIFIER_TIMEOUT_MS` | 300 | its timeout |
 * | `IAM_RISK_CLASSIFIER_BUDGET_PER_MINUTE` | 60 | classifier calls per tenant per minute, per instance (0: never) |
 * | `IAM_RISK_CACHE_SECONDS` | 60 | how long a decision is reused for a (user, network); 0: off |
 * | `IAM_RISK_GEOIP` | empty | the static GeoIP table: `cidr=lat,lon;...` |
 * | `IAM_RISK_MAX_SPEED_KMH` | 900 | impossible travel above this speed |
 * | `IAM_RISK_MIN_TRAVEL_KM` | 100 | distances below this are GeoIP noise |
 * | `IAM_RISK_VELOCITY_WINDOW_SECONDS` | 600 | the velocity window |
 * | `IAM_RISK_VELOCITY_STEP_UP_AT` | 10 | attempts in the window that ask for a step-up |
 * | `IAM_RISK_VELOCITY_DENY_AT` | 30 | attempts in the window refused pending review |
 */
import * as v from 'valibot';
import { DEFAULT_BREAKER_CONFIG } from '../../domain/mfa/risk/classifier-breaker.ts';
import { DEFAULT_CACHE_SECONDS } from '../../domain/mfa/risk/risk-cache.ts';
import { DEFAULT_RULES_CONFIG, type RiskRulesConfig } from '../../domain/mfa/risk/rules.ts';
import { describeIssues } from '../../http/parse-body.ts';
import { DEFAULT_CLASSIFIER_TIMEOUT_MS } from './http-risk-classifier.ts';
import { parseGeoTable, type GeoEntry } from './static-geo-ip.ts';

/** The parsed settings. */
export interface RiskConfig {
  /** The AI classifier, or undefined when none is configured. */
  readonly classifier: { readonly url: string; readonly timeoutMs: number } | undefined;
  /** Classifier calls per tenant per minute, per instance. */
  readonly budgetPerMinute: number;
  readonly cacheSeconds: number;
  readonly geoIp: readonly GeoEntry[];
  readonly rules: RiskRulesConfig;
}

const int = (min: number, max: number, fallback: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,7}$/, 'expected a whole number'),
      v.transform(Number),
      v.minValue(min),
      v.maxValue(max),
    ),
    String(fallback),
  );

const RiskEnvSchema = v.object({
  IAM_RISK_CLASSIFIER_URL: v.optional(v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i, 'expected an http(s) URL'))),
  IAM_RISK_CLASSIFIER_TIMEOUT_MS: int(1, 10_000, DEFAULT_CLASSIFIER_TIMEOUT_MS),
  IAM_RISK_CLASSIFIER_BUDGET_PER_MINUTE: int(0, 1_000_000, DEFAULT_BREAKER_CONFIG.perMinute),
  IAM_RISK_CACHE_SECONDS: int(0, 3600, DEFAULT_CACHE_SECONDS),
  IAM_RISK_GEOIP: v.optional(v.string(), ''),
  IAM_RISK_MAX_SPEED_KMH: int(1, 100_000, DEFAULT_RULES_CONFIG.maxSpeedKmh),
  IAM_RISK_MIN_TRAVEL_KM: int(0, 20_000, DEFAULT_RULES_CONFIG.minTravelKm),
  IAM_RISK_VELOCITY_WINDOW_SECONDS: int(1, 86_400, DEFAULT_RULES_CONFIG.velocity.windowSeconds),
  IAM_RISK_VELOCITY_STEP_UP_AT: int(1, 10_000, DEFAULT_RULES_CONFIG.velocity.stepUpAt),
  IAM_RISK_VELOCITY_DENY_AT: int(1, 10_000, DEFAULT_RULES_CONFIG.velocity.denyAt),
});

/** Parses the adaptive-MFA settings; a string describes what is wrong. */
export function parseRiskConfig(env: Readonly<Record<string, string | undefined>>): RiskConfig | string {
  const parsed = v.safeParse(RiskEnvSchema, env);
  if (!parsed.success) return `invalid adaptive-MFA configuration: ${describeIssues(parsed.issues)}`;
  const e = parsed.output;
  if (e.IAM_RISK_VELOCITY_DENY_AT < e.IAM_RISK_VELOCITY_STEP_UP_AT) return 'IAM_RISK_VELOCITY_DENY_AT must be at least IAM_RISK_VELOCITY_STEP_UP_AT';
  let geoIp: readonly GeoEntry[];
  try {
    geoIp = parseGeoTable(e.IAM_RISK_GEOIP);
  } catch (cause) {
    return `IAM_RISK_GEOIP: ${(cause as Error).message}`;
  }
  return {
    classifier: e.IAM_RISK_CLASSIFIER_URL === undefined ? undefined : { url: e.IAM_RISK_CLASSIFIER_URL, timeoutMs: e.IAM_RISK_CLASSIFIER_TIMEOUT_MS },
    budgetPerMinute: e.IAM_RISK_CLASSIFIER_BUDGET_PER_MINUTE,
    cacheSeconds: e.IAM_RISK_CACHE_SECONDS,
    geoIp,
    rules: {
      maxSpeedKmh: e.IAM_RISK_MAX_SPEED_KMH,
      minTravelKm: e.IAM_RISK_MIN_TRAVEL_KM,
      velocity: {
        windowSeconds: e.IAM_RISK_VELOCITY_WINDOW_SECONDS,
        stepUpAt: e.IAM_RISK_VELOCITY_STEP_UP_AT,
        denyAt: e.IAM_RISK_VELOCITY_DENY_AT,
      },
    },
  };
}

/** The settings with every default (no classifier, empty GeoIP table). */
export const DEFAULT_RISK_CONFIG: RiskConfig = parseRiskConfig({}) as RiskConfig;
