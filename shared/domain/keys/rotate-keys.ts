import { fail, ok, type Result } from '../result.ts';

/** The keys of a ring: the one signing now, the one published for the next rotation, the one retired last. */
export interface KeySet<K> {
  readonly current: K;
  readonly next: K;
  readonly previous: K | undefined;
}

/** What a key must tell the rotation: when it was first published. */
export interface RotatableKey {
  /** Milliseconds since the epoch when the key was first published in the JWKS. */
  readonly publishedAt: number;
}

/**
 * `scheduled`: current becomes previous (tokens it signed still verify).
 * `emergency`: current is retired at once and disappears from the JWKS.
 */
export type RotationMode = 'scheduled' | 'emergency';

/** The outcome of a rotation: the new set and the keys no longer published. */
export interface Rotated<K> {
  readonly keys: KeySet<K>;
  readonly retired: readonly K[];
}

/** Why a scheduled rotation was refused. */
export interface NextKeyTooYoung {
  readonly reason: 'next_key_too_young';
  /** Seconds until the next key has been published long enough. */
  readonly retryAfterSeconds: number;
}

/** Input of {@link rotateKeys}. */
export interface RotateKeysInput<K extends RotatableKey> {
  readonly keys: KeySet<K>;
  /** A freshly generated key, published from now on as the next one. */
  readonly fresh: K;
  readonly mode: RotationMode;
  /** Now, in milliseconds since the epoch. */
  readonly now: number;
  /**
   * How long verifiers may cache the JWKS (max-age plus stale-while-revalidate),
   * in milliseconds. A scheduled rotation waits until the next key has been
   * published at least this long, so no verifier meets a kid it has not seen.
   */
  readonly minNextAgeMs: number;
}

/**
 * Rotates a key set: next -> current, fresh -> next, and current -> previous
 * (scheduled) or retired (emergency). The emergency path skips the age check:
 * a compromised key must stop signing now, whatever the caches hold.
 */
export function rotateKeys<K extends RotatableKey>(input: RotateKeysInput<K>): Result<Rotated<K>, NextKeyTooYoung> {
  const { keys, fresh, mode, now, minNextAgeMs } = input;
  if (mode === 'emergency') {
    return ok({ keys: { current: keys.next, next: fresh, previous: keys.previous }, retired: [keys.current] });
  }
  const waitMs = keys.next.publishedAt + minNextAgeMs - now;
  if (waitMs > 0) return fail({ reason: 'next_key_too_young', retryAfterSeconds: Math.ceil(waitMs / 1000) });
  return ok({
    keys: { current: keys.next, next: fresh, previous: keys.current },
    retired: keys.previous === undefined ? [] : [keys.previous],
  });
}
