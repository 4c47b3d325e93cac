/**
 * The risk rules of adaptive MFA (SPEC section 4 item 5; risks,
 * Pure: every fact comes in through {@link RuleInput}, the time too.
 *
 * | rule | hits when | level |
 * |---|---|---|
 * | `new_device` | the device id was never trusted for this user (a login without a device id counts as unrecognised) | `step_up` |
 * | `new_network` | the /24 (IPv4) or /48 (IPv6) was never trusted for this user, or the address is unknown | `step_up` |
 * | `impossible_travel` | the speed from the last trusted located sighting exceeds `maxSpeedKmh` over more than `minTravelKm` | `hardware_step_up` |
 * | `velocity` | `stepUpAt` or more assessed attempts (this one included) inside the window; `denyAt` or more | `step_up`; `deny_pending_review` |
 * | `recent_failures` | the lockout counter held failures before this attempt | `step_up` |
 *
 * The very first sighting of a user (nothing trusted yet) has nothing to
 * compare with: `new_device` and `new_network` do not apply to it.
 */
import type { GeoPoint } from '../../ports.ts';
import { maxLevel, type RiskLevel } from './risk-level.ts';
import { attemptsInWindow, isFirstSighting, type RiskEvent, type UserSightings } from './sightings.ts';

/** The rules. */
export const RULE_IDS = ['new_device', 'new_network', 'impossible_travel', 'velocity', 'recent_failures'] as const;

/** One rule. */
export type RuleId = (typeof RULE_IDS)[number];

/** A rule that hit, with what made it hit (no personal data: counts, distances, speeds). */
export interface RuleHit {
  readonly rule: RuleId;
  readonly level: RiskLevel;
  readonly detail: Readonly<Record<string, string | number>>;
}

/** A rule that could not be evaluated, and why. */
export interface RuleSkipped {
  readonly rule: RuleId;
  readonly reason: string;
}

/** The thresholds of the rules. */
export interface RiskRulesConfig {
  /** Faster than this between two sightings is impossible travel (an airliner cruises at about 900 km/h). */
  readonly maxSpeedKmh: number;
  /** Shorter distances are GeoIP noise and never count as travel. */
  readonly minTravelKm: number;
  readonly velocity: {
    readonly windowSeconds: number;
    /** Attempts in the window (this one included) from which a step-up is asked. */
    readonly stepUpAt: number;
    /** Attempts in the window from which the attempt is refused pending review. */
    readonly denyAt: number;
  };
}

/** The default thresholds. */
export const DEFAULT_RULES_CONFIG: RiskRulesConfig = {
  maxSpeedKmh: 900,
  minTravelKm: 100,
  velocity: { windowSeconds: 600, stepUpAt: 10, denyAt: 30 },
};

/** Everything the rules look at. */
export interface RuleInput {
  readonly event: RiskEvent;
  readonly nowMs: number;
  /** The pseudonym of the device id; undefined when the client sent none. */
  readonly deviceKey: string | undefined;
  /** The pseudonym of the client network; undefined when the address is unknown. */
  readonly networkKey: string | undefined;
  /** Where the client address is; undefined when GeoIP does not know. */
  readonly place: GeoPoint | undefined;
  /** What is remembered of the user; undefined for a user never assessed. */
  readonly sightings: UserSightings | undefined;
  /** Failed attempts counted before this one (the lockout counter). */
  readonly recentFailures: number;
}

/** Facts derived on the way, for provenance and the classifier (no personal data). */
export interface RiskFeatures {
  readonly first_sighting: boolean;
  readonly device_known: boolean;
  readonly network_known: boolean;
  readonly attempts_in_window: number;
  readonly recent_failures: number;
  /** Present when both places are known. */
  readonly distance_km?: number;
  readonly speed_kmh?: number;
  readonly hours_since_last_place?: number;
}

/** What the rules decided. */
export interface RulesDecision {
  readonly level: RiskLevel;
  readonly hits: readonly RuleHit[];
  readonly skipped: readonly RuleSkipped[];
  readonly features: RiskFeatures;
}

/** Evaluates every rule. */
export function evaluateRules(input: RuleInput, config: RiskRulesConfig = DEFAULT_RULES_CONFIG): RulesDecision {
  const hits: RuleHit[] = [];
  const skipped: RuleSkipped[] = [];
  const s = input.sightings;
  const first = isFirstSighting(s);
  const deviceKnown = input.deviceKey !== undefined && (s?.devices ?? []).some((d) => d.key === input.deviceKey);
  const networkKnown = input.networkKey !== undefined && (s?.networks ?? []).some((n) => n.key === input.networkKey);

  if (first) skipped.push({ rule: 'new_device', reason: 'first_sighting' });
  else if (input.deviceKey === undefined && input.event === 'refresh') {
    // The device of a refresh is the session family's, fixed at login, which was assessed then.
    skipped.push({ rule: 'new_device', reason: 'no_device_id' });
  } else if (!deviceKnown) hits.push({ rule: 'new_device', level: 'step_up', detail: { device: input.deviceKey === undefined ? 'absent' : 'unknown' } });

  if (first) skipped.push({ rule: 'new_network', reason: 'first_sighting' });
  else if (!networkKnown) hits.push({ rule: 'new_network', level: 'step_up', detail: { network: input.networkKey === undefined ? 'unparseable' : 'unknown' } });

  const travel = travelFacts(input, s);
  if (travel === undefined) skipped.push({ rule: 'impossible_travel', reason: input.place === undefined ? 'location_unknown' : 'no_previous_location' });
  else if (travel.distanceKm > config.minTravelKm && travel.speedKmh > config.maxSpeedKmh) {
    hits.push({
      rule: 'impossible_travel',
      level: 'hardware_step_up',
      detail: { distance_km: travel.distanceKm, speed_kmh: travel.speedKmh, max_speed_kmh: config.maxSpeedKmh },
    });
  }

  const windowMs = config.velocity.windowSeconds * 1000;
  const attempts = attemptsInWindow(s, input.nowMs, windowMs).length + 1;
  if (attempts >= config.velocity.stepUpAt) {
    hits.push({
      rule: 'velocity',
      level: attempts >= config.velocity.denyAt ? 'deny_pending_review' : 'step_up',
      detail: { attempts, window_seconds: config.velocity.windowSeconds },
    });
  }

  if (input.recentFailures > 0) hits.push({ rule: 'recent_failures', level: 'step_up', detail: { failures: input.recentFailures } });

  const features: RiskFeatures = {
    first_sighting: first,
    device_known: deviceKnown,
    network_known: networkKnown,
    attempts_in_window: attempts,
    recent_failures: input.recentFailures,
    ...(travel === undefined
      ? {}
      : { distance_km: travel.distanceKm, speed_kmh: travel.speedKmh, hours_since_last_place: Math.round(travel.hours * 100) / 100 }),
  };
  return { level: maxLevel(...hits.map((h) => h.level)), hits, skipped, features };
}

/** Distance and speed from the last trusted located sighting, when both places are known. */
function travelFacts(input: RuleInput, s: UserSightings | undefined): { distanceKm: number; speedKmh: number; hours: number } | undefined {
  const last = s?.last_place ?? null;
  if (input.place === undefined || last === null) return undefined;
  const distanceKm = Math.round(haversineKm(last, input.place));
  // At least one second: two far-apart sightings at the same instant are infinitely fast.
  const hours = Math.max(input.nowMs - Date.parse(last.at), 1000) / 3_600_000;
  return { distanceKm, speedKmh: Math.round(distanceKm / hours), hours };
}

/** Great-circle distance in kilometres (haversine, mean Earth radius 6371.0088 km). */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}
