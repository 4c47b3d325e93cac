/**
 * `POST /jobs/rehash-inactive` (Cloud Scheduler, daily): wraps the outdated
 * password hashes of users inactive for `inactive_days` as
 * `argon2id(old_hash)` at the current parameters, in batches, idempotently
 * (risk R-16; `shared/domain/accounts/rehash-inactive-users.ts`). The body is
 * optional: `{inactive_days?, batch_size?, max_batches?}`.
 */
import * as v from 'valibot';
import { rehashInactiveUsers } from '../../shared/domain/accounts/rehash-inactive-users.ts';
import type { PasswordHasher, Random } from '../../shared/domain/ports.ts';
import { readBody, validate } from '../../shared/http/parse-body.ts';
import type { Route } from '../../shared/http/router.ts';
import type { JobsDeps } from './handler.ts';

/** What the rehash job needs besides the jobs runtime. */
export interface RehashJobDeps {
  readonly hasher: Pick<PasswordHasher, 'version' | 'wrap'>;
  readonly random: Random;
}

/** Inactivity after which a user's hash is wrapped, by default: 90 days. */
export const DEFAULT_INACTIVE_DAYS = 90;
/** Users per batch, by default. */
export const DEFAULT_REHASH_BATCH = 25;
/** Batches per region and run, by default (one Argon2 per user: ~50 ms of CPU each). */
export const DEFAULT_REHASH_MAX_BATCHES = 20;

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const RehashBody = v.strictObject({
  inactive_days: v.optional(int(1, 3650), DEFAULT_INACTIVE_DAYS),
  batch_size: v.optional(int(1, 200), DEFAULT_REHASH_BATCH),
  max_batches: v.optional(int(1, 1000), DEFAULT_REHASH_MAX_BATCHES),
});

/** The route. */
export function rehashInactiveRoute(deps: JobsDeps, job: RehashJobDeps): Route {
  return {
    method: 'POST',
    path: '/jobs/rehash-inactive',
    handler: async (req) => {
      const body = validate(RehashBody, req.rawBody.length === 0 ? {} : readBody(req, ['json']));
      const rt = await deps.runtime();
      const report = await rehashInactiveUsers(
        { uow: rt.uow, clock: deps.clock, random: job.random, hasher: job.hasher },
        { inactiveDays: body.inactive_days, batchSize: body.batch_size, maxBatches: body.max_batches },
      );
      const log = deps.log.child({ request_id: req.requestId, job: 'rehash-inactive' });
      for (const f of report.failures) log.error('password hash not wrapped', { ...f });
      log.info('inactive password hashes wrapped', { wrapped: report.wrapped, skipped: report.skipped, failed: report.failures.length, more: report.more, hash_version: report.hash_version });
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: report };
    },
  };
}
