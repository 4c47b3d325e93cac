/**
 * The rehash job for inactive users (risk R-16, docs/passwords.md section 4).
 * Users who have not signed in for `inactiveDays` keep hashes made with old
 * parameters, since rehash-on-login never reaches them. Without their
 * passwords, each outdated hash is wrapped as `argon2id(old_hash)` at the
 * current parameters (`hasher.wrap`) and stored with the current
 * `hash_version`; login verifies the wrapped form and replaces it with a plain
 * current hash at the next sign-in.
 *
 * In batches per region. Each user is written in its own transaction that
 * re-reads the record and writes only if the hash is still the one wrapped
 * and the user is still inactive (a concurrent login may have rehashed it).
 * Idempotent: a wrapped record carries the current `hash_version`, so the
 * query never picks it again until the next bump.
 */
import type { Actor } from '../outbox/event.ts';
import type { Clock, PasswordHasher, Random, UnitOfWork } from '../ports.ts';
import { REGIONS, type Region } from '../tenants/tenant.ts';
import { recordUserChange } from './user-events.ts';
import type { User } from './user.ts';

/** The audit actor of the job. */
export const REHASH_JOB_ACTOR: Actor = { type: 'service', id: 'jobs/rehash-inactive' };

/** What {@link rehashInactiveUsers} needs. */
export interface RehashInactiveDeps {
  readonly uow: UnitOfWork;
  readonly clock: Clock;
  readonly random: Random;
  readonly hasher: Pick<PasswordHasher, 'version' | 'wrap'>;
  /** The regions to visit; all by default. */
  readonly regions?: readonly Region[];
}

/** One run's bounds. */
export interface RehashInactiveInput {
  /** Users inactive (no login, else since creation) for at least this many days. */
  readonly inactiveDays: number;
  /** Users read and wrapped per batch. */
  readonly batchSize: number;
  /** Batches per region in one run, so a run stays within the scheduler's deadline. */
  readonly maxBatches: number;
}

/** A user the job could not wrap (a corrupt record, a pepper not configured). */
export interface RehashFailure {
  readonly region: Region;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly error: string;
}

/** The run's report (snake_case: served as JSON). */
export interface RehashInactiveReport {
  readonly hash_version: number;
  readonly inactive_before: string;
  /** Records wrapped (or, already current in shape, re-versioned). */
  readonly wrapped: number;
  /** Records left alone because they changed meanwhile (a login, a password change). */
  readonly skipped: number;
  readonly failures: readonly RehashFailure[];
  /** True when some region still had candidates after `maxBatches`. */
  readonly more: boolean;
}

/** Runs the job once. Never throws for one bad record: it is reported and the run goes on. */
export async function rehashInactiveUsers(deps: RehashInactiveDeps, input: RehashInactiveInput): Promise<RehashInactiveReport> {
  const version = deps.hasher.version;
  const inactiveBefore = new Date(deps.clock.now() - input.inactiveDays * 86_400_000).toISOString();
  let wrapped = 0;
  let skipped = 0;
  let more = false;
  const failures: RehashFailure[] = [];
  for (const region of deps.regions ?? REGIONS) {
    const failed = new Set<string>();
    for (let batch = 0; ; batch++) {
      if (batch === input.maxBatches) {
        more ||= (await candidates(deps, region, version, inactiveBefore, 1, failed)).length > 0;
        break;
      }
      const users = await candidates(deps, region, version, inactiveBefore, input.batchSize, failed);
      if (users.length === 0) break;
      for (const user of users) {
        const outcome = await wrapOne(deps, region, user, inactiveBefore).catch((e: unknown) => e);
        if (outcome === 'wrapped') wrapped++;
        else if (outcome === 'skipped') skipped++;
        else {
          failed.add(user.user_id);
          failures.push({ region, tenant_id: user.tenant_id, user_id: user.user_id, error: outcome instanceof Error ? outcome.message : String(outcome) });
        }
      }
    }
  }
  return { hash_version: version, inactive_before: inactiveBefore, wrapped, skipped, failures, more };
}

/** The next candidates, skipping those that failed in this run (they would come back first). */
async function candidates(
  deps: RehashInactiveDeps,
  region: Region,
  version: number,
  inactiveBefore: string,
  limit: number,
  failed: ReadonlySet<string>,
): Promise<readonly User[]> {
  const found = await deps.uow.run(region, (tx) =>
    tx.users.outdatedInactive({ belowVersion: version, inactiveBefore, limit: limit + failed.size }),
  );
  return found.filter((u) => !failed.has(u.user_id)).slice(0, limit);
}

async function wrapOne(deps: RehashInactiveDeps, region: Region, user: User, inactiveBefore: string): Promise<'wrapped' | 'skipped'> {
  const old = user.password;
  if (old === null) return 'skipped';
  // The expensive Argon2 work happens outside the transaction, which may re-run.
  const phc = await deps.hasher.wrap(old.phc);
  return deps.uow.run(region, async (tx) => {
    const fresh = await tx.users.get(user.tenant_id, user.user_id);
    const active = fresh?.last_login_at ?? fresh?.created_at;
    if (fresh === undefined || fresh.password?.phc !== old.phc || active === undefined || active >= inactiveBefore) return 'skipped';
    const at = new Date(deps.clock.now()).toISOString();
    tx.users.put({ ...fresh, password: { ...old, phc, hash_version: deps.hasher.version }, updated_at: at });
    recordUserChange(tx, deps.random, {
      tenantId: fresh.tenant_id,
      userId: fresh.user_id,
      type: null,
      action: 'user.password_wrapped',
      actor: REHASH_JOB_ACTOR,
      requestId: null,
      details: { from_version: old.hash_version, to_version: deps.hasher.version, rewrapped: phc !== old.phc },
      at,
    });
    return 'wrapped';
  });
}
