/**
 * The `jobs` function: HTTP endpoints for Cloud Scheduler (SPEC section 3).
 * Not routed through the public edge; in production only the scheduler's
 * service account may invoke it (Cloud Run IAM, `roles/run.invoker`).
 *
 * Each job is one route calling one use case. The storage and Pub/Sub clients
 * are loaded on the first job, not at cold start, so `GET /jobs/health` stays
 * cheap (it is what cold starts are measured with).
 */
import * as v from 'valibot';
import { IamError } from '../../shared/domain/errors.ts';
import { relayOutbox } from '../../shared/domain/outbox/relay-outbox.ts';
import { reconcileOutbox } from '../../shared/domain/outbox/reconcile-outbox.ts';
import type { Clock, EventPublisher, UnitOfWork } from '../../shared/domain/ports.ts';
import { validate, readBody } from '../../shared/http/parse-body.ts';
import { router, type Route } from '../../shared/http/router.ts';
import type { Handler, HttpRequest } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';
import { rehashInactiveRoute, type RehashJobDeps } from './rehash-inactive.ts';
import { shredLapsedGrace } from '../../shared/domain/sessions/shred-lapsed-grace.ts';

/** The clients the jobs use, built on first use. */
export interface JobsRuntime {
  readonly uow: UnitOfWork;
  readonly publisher: EventPublisher;
  /** The topic iam-service publishes to. */
  readonly eventsTopic: string;
}

/** What the jobs handler needs. */
export interface JobsDeps {
  /** Builds (once) and returns the clients. */
  readonly runtime: () => Promise<JobsRuntime>;
  readonly clock: Clock;
  readonly log: Logger;
  /** The password hasher for `/jobs/rehash-inactive`; without it that route does not exist. */
  readonly passwords?: RehashJobDeps;
}

/** The rows taken per region by one relay run, unless the request says otherwise. */
export const DEFAULT_RELAY_LIMIT = 100;
/** The reconciliation window when the request names none: the last 25 hours (a daily run, with overlap). */
export const DEFAULT_RECONCILE_WINDOW_MS = 25 * 3600_000;

const RelayBody = v.strictObject({
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500)), DEFAULT_RELAY_LIMIT),
});

// isoTimestamp() admits forms Date.parse cannot read (`+00` offsets): only what parses is an instant.
const ShredBody = v.strictObject({
  batch_size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500)), 200),
  max_batches: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)), 20),
});

const Instant = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.check((s) => Number.isFinite(Date.parse(s)), 'must be an RFC 3339 timestamp'),
);
const ReconcileBody = v.strictObject({ from: v.optional(Instant), to: v.optional(Instant) });

/** A scheduler may POST no body at all: that is the same as `{}`. */
function jobBody<S extends v.GenericSchema>(req: HttpRequest, schema: S): v.InferOutput<S> {
  return validate(schema, req.rawBody.length === 0 ? {} : readBody(req, ['json']));
}

/** The job routes. Add a job by adding a route here and its schedule to `scripts/stack/topology.ts`. */
export function jobRoutes(deps: JobsDeps): Route[] {
  return [
    { method: 'GET', path: '/jobs/health', handler: async () => ({ status: 200, headers: { 'cache-control': 'no-store' }, body: { status: 'ok' } }) },
    {
      method: 'POST',
      path: '/jobs/outbox-relay',
      handler: async (req) => {
        const { limit } = jobBody(req, RelayBody);
        const rt = await deps.runtime();
        const report = await relayOutbox({ uow: rt.uow, publisher: rt.publisher, clock: deps.clock, topic: rt.eventsTopic }, { limit });
        const log = deps.log.child({ request_id: req.requestId, job: 'outbox-relay' });
        for (const f of report.failures) log.error('outbox row not published', { ...f });
        if (report.leased > 0) log.info('outbox relayed', { leased: report.leased, published: report.published, failed: report.failures.length });
        return { status: 200, body: report };
      },
    },
    {
      method: 'POST',
      path: '/jobs/reconcile-outbox',
      handler: async (req) => {
        const body = jobBody(req, ReconcileBody);
        const now = deps.clock.now();
        const to = body.to ?? new Date(now).toISOString();
        const from = body.from ?? new Date(Date.parse(to) - DEFAULT_RECONCILE_WINDOW_MS).toISOString();
        if (Date.parse(from) >= Date.parse(to)) {
          throw new IamError('invalid_request', "'from' must be before 'to'");
        }
        const rt = await deps.runtime();
        const report = await reconcileOutbox({ uow: rt.uow, clock: deps.clock }, { from, to });
        const log = deps.log.child({ request_id: req.requestId, job: 'reconcile-outbox' });
        if (report.ok) log.info('outbox reconciled', { counts: report.counts, from, to });
        else log.error('outbox reconciliation found discrepancies', { counts: report.counts, from, to });
        return { status: 200, body: report };
      },
    },
    {
      method: 'POST',
      path: '/jobs/shred-grace',
      handler: async (req) => {
        const body = jobBody(req, ShredBody);
        const rt = await deps.runtime();
        const report = await shredLapsedGrace({ uow: rt.uow, clock: deps.clock }, { batchSize: body.batch_size, maxBatches: body.max_batches });
        if (report.shredded > 0) deps.log.child({ request_id: req.requestId, job: 'shred-grace' }).info('lapsed refresh seals shredded', { ...report });
        return { status: 200, body: report };
      },
    },
    ...(deps.passwords === undefined ? [] : [rehashInactiveRoute(deps, deps.passwords)]),
  ];
}

/** The jobs handler. */
export function jobsHandler(deps: JobsDeps): Handler {
  return router(jobRoutes(deps));
}
