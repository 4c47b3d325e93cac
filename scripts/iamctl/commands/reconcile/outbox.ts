/**
 * `iamctl reconcile outbox`: the outbox-vs-audit reconciliation of the `jobs`
 * function, run directly against the target's databases. Exits 1 when it
 * finds a discrepancy (the report is still printed).
 */
import * as v from 'valibot';
import { systemClock } from '../../../../shared/adapters/local/clock.ts';
import { reconcileOutbox } from '../../../../shared/domain/outbox/reconcile-outbox.ts';
import { defineCommand, usageError } from '../../command.ts';

const Instant = v.pipe(v.string(), v.isoTimestamp('an RFC 3339 instant such as 2026-01-31T00:00:00Z'));
const DEFAULT_WINDOW_MS = 25 * 3600_000;

export default defineCommand({
  summary: 'compare audit events with outbox rows in a window (default: the last 25 hours)',
  usage: '[--from RFC3339] [--to RFC3339]',
  flags: { from: { type: 'string' }, to: { type: 'string' } },
  schema: v.strictObject({ from: v.optional(Instant), to: v.optional(Instant) }),
  async run(ctx, flags) {
    const to = flags.to ?? new Date().toISOString();
    const from = flags.from ?? new Date(Date.parse(to) - DEFAULT_WINDOW_MS).toISOString();
    if (Date.parse(from) >= Date.parse(to)) throw usageError('--from must be before --to');
    const { uow } = await ctx.stores();
    ctx.progress(`reconciling outbox and audit from ${from} to ${to}`);
    const report = await reconcileOutbox({ uow, clock: systemClock }, { from, to });
    const c = report.counts;
    const human = [
      `window ${report.from} .. ${report.to}`,
      `audit events ${c.audit_events}, outbox rows ${c.outbox_rows} (${c.published} published)`,
      `missing outbox rows ${c.missing_outbox}, missing audit events ${c.missing_audit}, stale unpublished rows ${c.stale_unpublished}`,
      ...report.missing_outbox.map((m) => `  missing outbox: ${m.region} audit ${m.audit_id} names event ${m.event_id} (${m.action} at ${m.at})`),
      ...report.missing_audit.map((m) => `  missing audit: ${m.region} event ${m.event_id} (${m.type} at ${m.created_at})`),
      ...report.stale_unpublished.map((m) => `  stale: ${m.region} event ${m.event_id} (${m.type}, created ${m.created_at}, ${m.attempts} attempts)`),
      report.ok ? 'ok' : 'NOT OK',
    ];
    const found = c.missing_outbox + c.missing_audit + c.stale_unpublished;
    return { human, json: report, ...(report.ok ? {} : { failure: `reconciliation found ${found} discrepancies` }) };
  },
});
