import { IamError } from '../../domain/errors.ts';
import { JWKS_MAX_STALENESS_SECONDS } from '../../domain/keys/build-jwks.ts';
import { rotateKeys, type KeySet, type NextKeyTooYoung, type RotationMode } from '../../domain/keys/rotate-keys.ts';
import type { Clock, KeyRing, KeyStatus, PublicJwk, TokenSigner } from '../../domain/ports.ts';
import { ok, type Result } from '../../domain/result.ts';
import { createLocalSigner, generateLocalKey, localPublicJwk, type LocalKey } from './local-signer.ts';

/** The stored state of the local ring. */
export type LocalKeySet = KeySet<LocalKey>;

/**
 * Where the local ring keeps its keys: the emulator's platform database, or
 * memory in unit tests. `transact` runs `change` in one serialisable
 * transaction (retrying it on contention) and returns the state after it.
 */
export interface LocalKeyStore {
  read(): Promise<LocalKeySet | undefined>;
  /** `change` returns the state to write, or `undefined` to leave the stored state as it is. */
  transact(change: (stored: LocalKeySet | undefined) => Promise<LocalKeySet | undefined>): Promise<LocalKeySet | undefined>;
}

/** What a rotation did, by kid. */
export interface RotationReport {
  readonly current: string;
  readonly next: string;
  readonly previous: string | undefined;
  /** Kids no longer published. */
  readonly retired: readonly string[];
}

/** The local ring, which can also rotate itself (for `iamctl keys rotate`). */
export interface LocalKeyRing extends KeyRing {
  /**
   * Rotates: next -> current, a new next, and current -> previous (`scheduled`)
   * or retired at once (`emergency`). A scheduled rotation is refused while the
   * next key is younger than the longest a verifier may cache the JWKS.
   */
  rotate(mode: RotationMode): Promise<Result<RotationReport, NextKeyTooYoung>>;
}

/** Options for {@link createLocalKeyRing}. */
export interface LocalKeyRingOptions {
  readonly clock: Clock;
  /** How long an instance trusts its copy of the ring before reading it again (default 30 s). */
  readonly cacheTtlMs?: number;
}

/** Default of {@link LocalKeyRingOptions.cacheTtlMs}. */
export const LOCAL_RING_CACHE_TTL_MS = 30_000;

/**
 * The dev/test key ring: P-256 keys kept in a {@link LocalKeyStore} so that
 * restarts keep them. On first use it makes sure a current and a next key
 * exist, inside one transaction, so several instances cold-starting at once
 * never create two current keys. Each instance keeps a copy for
 * `cacheTtlMs`, and keeps serving its stale copy if the store is down.
 */
export function createLocalKeyRing(store: LocalKeyStore, options: LocalKeyRingOptions): LocalKeyRing {
  const { clock } = options;
  const ttl = options.cacheTtlMs ?? LOCAL_RING_CACHE_TTL_MS;
  // A scheduled rotation waits until every verifier has had the chance to see the next key.
  const minNextAgeMs = JWKS_MAX_STALENESS_SECONDS * 1000 + ttl;
  let cached: { keys: LocalKeySet; at: number; signers: Map<string, TokenSigner> } | undefined;
  let loading: Promise<LocalKeySet> | undefined;

  const remember = (keys: LocalKeySet): LocalKeySet => {
    const signers = cached?.signers ?? new Map<string, TokenSigner>();
    cached = { keys, at: clock.now(), signers };
    return keys;
  };
  const ensure = async (): Promise<LocalKeySet> => {
    const stored = await store.read();
    if (stored !== undefined) return stored;
    const created = await store.transact(async (inTx) => {
      if (inTx !== undefined) return undefined; // another instance won the race
      const now = clock.now();
      return { current: await generateLocalKey(now), next: await generateLocalKey(now), previous: undefined };
    });
    if (created === undefined) throw new Error('key store returned no state after creating it');
    return created;
  };
  const load = async (): Promise<LocalKeySet> => {
    if (cached !== undefined && clock.now() - cached.at < ttl) return cached.keys;
    loading ??= ensure()
      .then(remember)
      .catch((e: unknown) => {
        if (cached !== undefined) return cached.keys; // serve the stale copy: issued tokens must keep verifying
        throw new IamError('temporarily_unavailable', 'the signing key store is unavailable', { cause: e, retryAfter: 5 });
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  const signerOf = (key: LocalKey): TokenSigner => {
    const signers = cached?.signers ?? new Map<string, TokenSigner>();
    let signer = signers.get(key.kid);
    if (signer === undefined) {
      signer = createLocalSigner(key);
      signers.set(key.kid, signer);
    }
    return signer;
  };

  return {
    current: async () => signerOf((await load()).current),
    published: async () => {
      const keys = await load();
      const out: { status: KeyStatus; jwk: PublicJwk }[] = [
        { status: 'current', jwk: localPublicJwk(keys.current) },
        { status: 'next', jwk: localPublicJwk(keys.next) },
      ];
      if (keys.previous !== undefined) out.push({ status: 'previous', jwk: localPublicJwk(keys.previous) });
      return out;
    },
    rotate: async (mode) => {
      await load();
      let outcome: Result<RotationReport, NextKeyTooYoung> | undefined;
      const after = await store.transact(async (stored) => {
        if (stored === undefined) throw new Error('the key ring vanished during rotation');
        const now = clock.now();
        const rotated = rotateKeys({ keys: stored, fresh: await generateLocalKey(now), mode, now, minNextAgeMs });
        if (!rotated.ok) {
          outcome = rotated;
          return undefined;
        }
        const { current, next, previous } = rotated.value.keys;
        outcome = ok({
          current: current.kid,
          next: next.kid,
          previous: previous?.kid,
          retired: rotated.value.retired.map((k) => k.kid),
        });
        return rotated.value.keys;
      });
      if (after !== undefined) remember(after);
      if (outcome === undefined) throw new Error('the key store did not run the rotation');
      return outcome;
    },
  };
}
