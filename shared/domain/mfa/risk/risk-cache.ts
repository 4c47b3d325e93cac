/**
 * Cached decisions: 60 s by (user, masked IP) (SPEC section 4 item 5), in
 * the tenant's region (collection `risk_cache`), so every instance shares
 * them. An entry answers only the same device, the same kind of event and
 * the same failure state it was computed for (its `fingerprint`): a new
 * device on a cached network, or a failed attempt since, is assessed afresh.
 */
import type { ClassifierProvenance } from './classifier-policy.ts';
import type { RiskLevel } from './risk-level.ts';
import type { RuleHit } from './rules.ts';
import type { RiskEvent } from './sightings.ts';

/** The default lifetime of a cached decision. */
export const DEFAULT_CACHE_SECONDS = 60;

/** One cached decision. */
export interface RiskCacheEntry {
  readonly tenant_id: string;
  readonly user_id: string;
  /** The pseudonym of the /24 or /48 (`networkKey`), never the address. */
  readonly network_key: string;
  /** What else the decision depended on (`cacheFingerprint`). */
  readonly fingerprint: string;
  readonly level: RiskLevel;
  readonly rules: readonly RuleHit[];
  readonly classifier: ClassifierProvenance;
  readonly decided_at: string;
  readonly expires_at: string;
}

/** What a cached decision depended on besides the user and the network. No personal data. */
export function cacheFingerprint(event: RiskEvent, deviceKey: string | undefined, recentFailures: number): string {
  return `${event}|${deviceKey ?? '-'}|${recentFailures > 0 ? 'failures' : 'clean'}`;
}

/** True when `entry` may answer now for `fingerprint`. */
export function cacheHit(entry: RiskCacheEntry | undefined, fingerprint: string, nowMs: number): entry is RiskCacheEntry {
  return entry !== undefined && entry.fingerprint === fingerprint && Date.parse(entry.expires_at) > nowMs;
}
