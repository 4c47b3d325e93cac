/**
 * Sightings: what adaptive MFA remembers of one user, in the tenant's region
 * (collection `risk_sightings`, one document per user).
 *
 * Only pseudonyms are stored: a device is the SHA-256 of (tenant, user,
 * device id) and a network the SHA-256 of (tenant, user, /24 or /48 prefix),
 * never an address; a place is rounded to 0.1° (about 11 km). A /24 can be
 * enumerated, so these hashes pseudonymise rather than anonymise: the
 * document is personal data and GDPR erasure deletes it with the user.
 *
 * Two kinds of memory, kept apart on purpose:
 * - `attempts`: every assessed login or refresh, for the velocity rule;
 * - `devices`, `networks`, `last_place`: TRUSTED context only, written when
 *   an assessment allowed the attempt or after a step-up succeeded
 *   (`recordSighting`). An attacker who fails the step-up therefore never
 *   makes their device or network "known".
 */
import { sha256base64url } from '../../tokens/opaque-token.ts';
import type { GeoPoint } from '../../ports.ts';

/** What triggered an assessment. */
export type RiskEvent = 'login' | 'refresh';

/** A device or network seen in a trusted context. */
export interface KnownKey {
  /** The pseudonym (base64url SHA-256). */
  readonly key: string;
  readonly first_at: string;
  readonly last_at: string;
}

/** Where and when the user was last seen in a trusted context with a known location. */
export interface TrustedPlace {
  readonly at: string;
  readonly lat: number;
  readonly lon: number;
}

/** One assessed attempt (velocity). */
export interface RiskAttempt {
  readonly at: string;
  readonly event: RiskEvent;
}

/** The sightings of one user. */
export interface UserSightings {
  readonly tenant_id: string;
  readonly user_id: string;
  /** Trusted devices, most recently seen first, at most {@link MAX_DEVICES}. */
  readonly devices: readonly KnownKey[];
  /** Trusted networks, most recently seen first, at most {@link MAX_NETWORKS}. */
  readonly networks: readonly KnownKey[];
  /** The last trusted sighting whose location was known. */
  readonly last_place: TrustedPlace | null;
  /** Assessed attempts inside the velocity window, oldest first, at most {@link MAX_ATTEMPTS}. */
  readonly attempts: readonly RiskAttempt[];
  readonly updated_at: string;
}

/** The most trusted devices remembered per user (the least recently seen is forgotten). */
export const MAX_DEVICES = 20;
/** The most trusted networks remembered per user. */
export const MAX_NETWORKS = 50;
/** The most attempts remembered (more than any velocity threshold needs). */
export const MAX_ATTEMPTS = 200;

/** The pseudonym of a device id for one user. */
export function deviceKey(tenantId: string, userId: string, deviceId: string): Promise<string> {
  return sha256base64url(`risk-device\u0000${tenantId}\u0000${userId}\u0000${deviceId}`);
}

/** The pseudonym of a network prefix (`clientNetwork(...).prefix`) for one user. */
export function networkKey(tenantId: string, userId: string, prefix: string): Promise<string> {
  return sha256base64url(`risk-network\u0000${tenantId}\u0000${userId}\u0000${prefix}`);
}

/** The sightings of a user never seen before. */
export function emptySightings(tenantId: string, userId: string, at: string): UserSightings {
  return { tenant_id: tenantId, user_id: userId, devices: [], networks: [], last_place: null, attempts: [], updated_at: at };
}

/** True when nothing trusted is known of the user yet (the first login after creation). */
export function isFirstSighting(s: UserSightings | undefined): boolean {
  return s === undefined || (s.devices.length === 0 && s.networks.length === 0 && s.last_place === null);
}

/** The attempts of `s` inside the window ending at `nowMs`. */
export function attemptsInWindow(s: UserSightings | undefined, nowMs: number, windowMs: number): readonly RiskAttempt[] {
  const from = nowMs - windowMs;
  return (s?.attempts ?? []).filter((a) => Date.parse(a.at) > from);
}

/** Adds one assessed attempt, forgetting those that left the window. */
export function noteAttempt(s: UserSightings, attempt: RiskAttempt, windowMs: number): UserSightings {
  const kept = attemptsInWindow(s, Date.parse(attempt.at), windowMs);
  return { ...s, attempts: [...kept, attempt].slice(-MAX_ATTEMPTS), updated_at: attempt.at };
}

/** What a trusted sighting adds. */
export interface TrustedSighting {
  readonly at: string;
  readonly deviceKey: string | undefined;
  readonly networkKey: string | undefined;
  readonly place: GeoPoint | undefined;
}

/** Marks the device, the network and the place of a trusted sighting as known. */
export function noteTrusted(s: UserSightings, t: TrustedSighting): UserSightings {
  const upsert = (list: readonly KnownKey[], key: string | undefined, max: number): readonly KnownKey[] => {
    if (key === undefined) return list;
    const old = list.find((k) => k.key === key);
    return [{ key, first_at: old?.first_at ?? t.at, last_at: t.at }, ...list.filter((k) => k.key !== key)].slice(0, max);
  };
  return {
    ...s,
    devices: upsert(s.devices, t.deviceKey, MAX_DEVICES),
    networks: upsert(s.networks, t.networkKey, MAX_NETWORKS),
    last_place: t.place === undefined ? s.last_place : { at: t.at, lat: round1(t.place.lat), lon: round1(t.place.lon) },
    updated_at: t.at,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
