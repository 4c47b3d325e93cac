/**
 * The signing key ring of production (risk R-01): the primary ring (the KMS
 * key in the primary region) behind a circuit breaker, failing over to the
 * replica ring (a different key, with its own kid, in another KMS location)
 * behind a breaker of its own.
 *
 * - `current()` hands out the primary's signer while its breaker admits
 *   calls, else the replica's. The signer is a {@link FailoverSigner}: when
 *   its `sign` fails, `signJws` builds the token again for the replica, so
 *   even the calls that trip the breaker get a token.
 * - With both breakers open, signing fails at once, without waiting for any
 *   KMS deadline: `temporarily_unavailable` with `retryAfter` = the time until
 *   the first breaker lets a probe through (at least 1 s).
 * - `published()` always lists the replica's keys too (status `replica`), so
 *   tokens either key signed verify everywhere. The rings cache public keys,
 *   so the JWKS needs neither KMS once they were read.
 */
import { IamError } from '../errors.ts';
import type { Clock, KeyRing, TokenSigner } from '../ports.ts';
import {
  createCircuitBreaker,
  type BreakerSettings,
  type BreakerSnapshot,
  type BreakerTransition,
  type CircuitBreaker,
} from './circuit-breaker.ts';
import type { FailoverSigner } from './sign-jws.ts';

/** The two sides of the ring. */
export type KeyRingLeg = 'primary' | 'replica';

/** What the ring reports, for logs: breaker state changes and failovers. */
export type FailoverEvent =
  | ({ readonly kind: 'breaker'; readonly leg: KeyRingLeg } & BreakerTransition)
  | { readonly kind: 'failure'; readonly leg: KeyRingLeg; readonly error: unknown };

/** Options for {@link createFailoverKeyRing}. */
export interface FailoverKeyRingOptions {
  readonly primary: KeyRing;
  /** The replica-region ring; without it the breaker still makes an outage fail fast. */
  readonly replica?: KeyRing | undefined;
  readonly clock: Clock;
  /** Breaker tuning, the same for both legs (defaults: `BREAKER_DEFAULTS`). */
  readonly breaker?: BreakerSettings;
  readonly onEvent?: (event: FailoverEvent) => void;
}

/** The failover ring, which also shows its breakers. */
export interface FailoverKeyRing extends KeyRing {
  breakers(): { readonly primary: BreakerSnapshot; readonly replica: BreakerSnapshot | undefined };
}

interface Leg {
  readonly name: KeyRingLeg;
  readonly ring: KeyRing;
  readonly breaker: CircuitBreaker;
}

/** Builds the failover ring; both breakers start closed. */
export function createFailoverKeyRing(options: FailoverKeyRingOptions): FailoverKeyRing {
  const { clock, onEvent } = options;
  const legOf = (name: KeyRingLeg, ring: KeyRing): Leg => ({
    name,
    ring,
    breaker: createCircuitBreaker({ ...options.breaker, clock, onTransition: (t) => onEvent?.({ kind: 'breaker', leg: name, ...t }) }),
  });
  const legs: Leg[] = [legOf('primary', options.primary)];
  if (options.replica !== undefined) legs.push(legOf('replica', options.replica));

  const unavailable = (errors: unknown[]): IamError => {
    const waitMs = Math.min(...legs.map((l) => l.breaker.snapshot().retryAfterMs));
    return new IamError('temporarily_unavailable', `no signing key is available (${legs.map((l) => `${l.name} ${l.breaker.state()}`).join(', ')})`, {
      cause: new AggregateError(errors, 'every signing key failed or is behind an open breaker'),
      retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
    });
  };
  const refused = (leg: Leg): IamError =>
    new IamError('temporarily_unavailable', `the ${leg.name} signing key's circuit breaker is ${leg.breaker.state()}`);

  const signerFrom = async (index: number, errors: unknown[]): Promise<FailoverSigner> => {
    for (let i = index; i < legs.length; i++) {
      const leg = legs[i] as Leg;
      const permit = leg.breaker.acquire();
      if (permit === undefined) {
        errors.push(refused(leg));
        continue;
      }
      let inner: TokenSigner;
      try {
        inner = await leg.ring.current();
      } catch (e) {
        permit.failed();
        onEvent?.({ kind: 'failure', leg: leg.name, error: e });
        errors.push(e);
        continue;
      }
      // Handing out a (cached) signer proves nothing about signing: no outcome.
      permit.release();
      return guarded(i, leg, inner);
    }
    throw unavailable(errors);
  };

  const guarded = (index: number, leg: Leg, inner: TokenSigner): FailoverSigner => ({
    kid: inner.kid,
    alg: inner.alg,
    publicJwk: () => inner.publicJwk(),
    sign: async (signingInput) => {
      const permit = leg.breaker.acquire();
      if (permit === undefined) throw refused(leg);
      try {
        const signature = await inner.sign(signingInput);
        permit.succeeded();
        return signature;
      } catch (e) {
        permit.failed();
        onEvent?.({ kind: 'failure', leg: leg.name, error: e });
        throw e;
      }
    },
    failover: (cause) => signerFrom(index + 1, [cause]),
  });

  return {
    current: () => signerFrom(0, []),
    published: async () => {
      // All or nothing, as each ring's own set: a JWKS missing the replica would break failover tokens.
      const sets = await Promise.all(legs.map((l) => l.ring.published()));
      const [primary = [], replica = []] = sets;
      return [...primary, ...replica.map(({ jwk }) => ({ status: 'replica' as const, jwk }))];
    },
    breakers: () => ({ primary: (legs[0] as Leg).breaker.snapshot(), replica: legs[1]?.breaker.snapshot() }),
  };
}
