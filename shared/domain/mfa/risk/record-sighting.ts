/**
 * `recordSighting`: trusts the context of an attempt once it has passed the
 * step-up that `assessRisk` asked for (a second factor at `mfa/verify`, a
 * redeemed magic link, a refresh after step-up). Its device, network and
 * place then count as known, and the (user, network) decision cached while
 * the step-up was pending is dropped, so the next attempt is assessed afresh.
 *
 * `assessRisk` already does this itself for an `allow`. Never call it for an
 * attempt that did not pass: an attacker's device would become "known".
 */
import { attemptFacts, locate, type AttemptContext, type RiskDeps } from './risk-deps.ts';
import { emptySightings, noteTrusted } from './sightings.ts';

/** What {@link recordSighting} needs. */
export type RecordSightingDeps = Pick<RiskDeps, 'uow' | 'directory' | 'clock' | 'geoIp' | 'log'>;

/**
 * The attempt that passed. `ip` may be the full address or the masked /24 or
 * /48 kept in the `mfa_token` record: both name the same network.
 */
export type RecordSightingInput = AttemptContext;

/** Marks the attempt's context as trusted. Throws only for a storage outage or an unknown tenant. */
export async function recordSighting(deps: RecordSightingDeps, input: RecordSightingInput): Promise<void> {
  const facts = await attemptFacts(deps, input);
  const place = await locate(deps, facts.network);
  const at = new Date(deps.clock.now()).toISOString();
  await deps.uow.run(facts.region, async (tx) => {
    const stored = await tx.riskSightings.get(input.tenantId, input.userId);
    tx.riskSightings.put(
      noteTrusted(stored ?? emptySightings(input.tenantId, input.userId, at), { at, deviceKey: facts.deviceKey, networkKey: facts.networkKey, place }),
    );
    tx.riskCache.delete(input.tenantId, input.userId, facts.cacheKey);
  });
}
