/**
 * Revocation epochs (`shared/domain/sessions/revocation-epoch.ts`):
 * collection `revocation_epochs`, ONE document per scope, whatever the number
 * of sessions. A tenant's document (id = tenant id) lives in the tenant's
 * region's database and goes through the unit of work and its residency
 * guard; the platform's (id `_platform`) lives in the platform database and
 * goes through the platform unit of work (`platform-unit-of-work.ts`).
 *
 * Request paths read the platform epoch through {@link platformEpochSource},
 * which caches it briefly so a refresh costs no extra cross-region read.
 */
import * as v from 'valibot';
import { IamError } from '../../domain/errors.ts';
import type { Clock, PlatformEpochSource, RevocationEpochRepo } from '../../domain/ports.ts';
import { PLATFORM_SCOPE, type RevocationEpoch } from '../../domain/sessions/revocation-epoch.ts';
import type { Doc, DocDatabase, DocTransaction } from './documents.ts';

/** The collection holding revocation epochs (regional databases and the platform database). */
export const REVOCATION_EPOCHS = 'revocation_epochs';

const Instant = v.pipe(v.string(), v.isoTimestamp());
const StoredEpoch = v.object({
  tenant_id: v.pipe(v.string(), v.minLength(1)),
  epoch: Instant,
  set_at: Instant,
  actor: v.object({ type: v.picklist(['user', 'admin', 'service', 'platform']), id: v.string() }),
  reason: v.string(),
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

/** A stored epoch, checked: a corrupt epoch must never silently un-revoke sessions. */
function toEpoch(doc: Doc, scope: string): RevocationEpoch {
  const parsed = v.safeParse(StoredEpoch, doc);
  if (!parsed.success || parsed.output.tenant_id !== scope) throw new Error(`corrupt revocation epoch for ${scope}`);
  return parsed.output;
}

/**
 * The epoch repository of one transaction: the tenants' epochs in a regional
 * transaction, the platform's in a platform transaction. `get` of a scope
 * with no epoch yet is undefined.
 */
export function revocationEpochRepo(tx: DocTransaction): RevocationEpochRepo {
  return {
    async get(scope) {
      const doc = await tx.get(REVOCATION_EPOCHS, scope);
      return doc === undefined ? undefined : toEpoch(doc, scope);
    },
    put(epoch) {
      tx.set(REVOCATION_EPOCHS, epoch.tenant_id, { ...epoch, actor: { ...epoch.actor } });
    },
  };
}

/** Options for {@link platformEpochSource}. */
export interface PlatformEpochSourceOptions {
  readonly clock: Clock;
  /** How long a read is trusted (default 5 s): a platform revocation reaches every instance within it. */
  readonly cacheTtlMs?: number;
  /**
   * How long a copy may still be served while the platform database is
   * unreachable (default 5 min). Past it, and with no copy at all, reads
   * throw `temporarily_unavailable`: a refresh then fails closed.
   */
  readonly maxStaleMs?: number;
}

/** Default of {@link PlatformEpochSourceOptions.cacheTtlMs}. */
export const PLATFORM_EPOCH_CACHE_TTL_MS = 5_000;
/** Default of {@link PlatformEpochSourceOptions.maxStaleMs}. */
export const PLATFORM_EPOCH_MAX_STALE_MS = 300_000;

/**
 * The platform epoch for request paths (the refresh): one strongly consistent
 * read of `revocation_epochs/_platform` in the platform database, cached for
 * `cacheTtlMs`; concurrent callers share one read.
 */
export function platformEpochSource(platform: DocDatabase, options: PlatformEpochSourceOptions): PlatformEpochSource {
  const { clock } = options;
  const ttl = options.cacheTtlMs ?? PLATFORM_EPOCH_CACHE_TTL_MS;
  const maxStale = options.maxStaleMs ?? PLATFORM_EPOCH_MAX_STALE_MS;
  let cached: { readonly epoch: RevocationEpoch | undefined; readonly at: number } | undefined;
  let reading: Promise<RevocationEpoch | undefined> | undefined;
  const read = async (): Promise<RevocationEpoch | undefined> => {
    const started = clock.now();
    try {
      const doc = await platform.get(REVOCATION_EPOCHS, PLATFORM_SCOPE);
      const epoch = doc === undefined ? undefined : toEpoch(doc, PLATFORM_SCOPE);
      cached = { epoch, at: started };
      return epoch;
    } catch (e) {
      if (cached !== undefined && clock.now() - cached.at <= maxStale) return cached.epoch;
      throw new IamError('temporarily_unavailable', 'the platform revocation epoch cannot be read', { cause: e, retryAfter: 1 });
    }
  };
  return {
    async current() {
      if (cached !== undefined && clock.now() - cached.at < ttl) return cached.epoch;
      reading ??= read().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}

/**
 * {@link platformEpochSource} over a platform database opened on first use:
 * for functions that import Firestore lazily (the first request opens it).
 */
export function lazyPlatformEpochSource(platform: () => Promise<DocDatabase>, options: PlatformEpochSourceOptions): PlatformEpochSource {
  let source: Promise<PlatformEpochSource> | undefined;
  return {
    current: async () => {
      source ??= platform().then((db) => platformEpochSource(db, options));
      return (await source).current();
    },
  };
}
