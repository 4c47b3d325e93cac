/**
 * The outbox-vs-audit reconciliation (risk R-19), run daily by the `jobs`
 * function and on demand by `iamctl reconcile outbox`.
 *
 * In a window `[from, to)` of every region it checks that
 * - every audit event that names an event id has its outbox row (`missing_outbox`);
 * - every outbox row is named by an audit event (`missing_audit`);
 * - no outbox row stays unpublished longer than `staleAfterMs` (`stale_unpublished`).
 *
 * Both records are written in one transaction with the same timestamp, but a
 * partner just outside the window is looked up directly (outbox rows by id,
 * audit events in the window widened by `slackMs`) so the window's edges do
 * not raise false alarms.
 */
import type { Clock, UnitOfWork } from '../ports.ts';
import { REGIONS, type Region } from '../tenants/tenant.ts';

/** A row unpublished for longer than this is stale, by default: 10 minutes. */
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;
/** How far past the window the partner of a record is looked for: 5 minutes. */
const DEFAULT_SLACK_MS = 5 * 60_000;
/** The most findings of each kind listed in a report (the counts stay exact). */
export const MAX_LISTED = 100;

/** What {@link reconcileOutbox} needs. */
export interface ReconcileOutboxDeps {
  readonly uow: UnitOfWork;
  readonly clock: Clock;
  readonly staleAfterMs?: number;
  readonly slackMs?: number;
  readonly regions?: readonly Region[];
}

/** The window to check, as RFC 3339 instants, `from` inclusive, `to` exclusive. */
export interface ReconcileOutboxInput {
  readonly from: string;
  readonly to: string;
}

/** An audit event naming an event id that has no outbox row. */
export interface MissingOutbox {
  readonly region: Region;
  readonly audit_id: string;
  readonly event_id: string;
  readonly action: string;
  readonly at: string;
}

/** An outbox row that no audit event names. */
export interface MissingAudit {
  readonly region: Region;
  readonly event_id: string;
  readonly type: string;
  readonly created_at: string;
}

/** An outbox row unpublished for too long. */
export interface StaleRow {
  readonly region: Region;
  readonly event_id: string;
  readonly type: string;
  readonly created_at: string;
  readonly attempts: number;
}

/** The reconciliation report (snake_case: it is served as JSON). */
export interface ReconcileOutboxReport {
  readonly from: string;
  readonly to: string;
  readonly checked_at: string;
  /** True when nothing was found. */
  readonly ok: boolean;
  readonly counts: {
    readonly audit_events: number;
    readonly outbox_rows: number;
    readonly published: number;
    readonly missing_outbox: number;
    readonly missing_audit: number;
    readonly stale_unpublished: number;
  };
  readonly missing_outbox: readonly MissingOutbox[];
  readonly missing_audit: readonly MissingAudit[];
  readonly stale_unpublished: readonly StaleRow[];
}

/** Compares audit events with outbox rows in a window of every region. */
export async function reconcileOutbox(deps: ReconcileOutboxDeps, input: ReconcileOutboxInput): Promise<ReconcileOutboxReport> {
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) throw new RangeError('the window must be two instants, from < to');
  const now = deps.clock.now();
  const staleBefore = now - (deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  const slack = deps.slackMs ?? DEFAULT_SLACK_MS;
  const fromIso = new Date(from).toISOString();
  const toIso = new Date(to).toISOString();

  const missingOutbox: MissingOutbox[] = [];
  const missingAudit: MissingAudit[] = [];
  const stale: StaleRow[] = [];
  let auditCount = 0;
  let rowCount = 0;
  let published = 0;

  for (const region of deps.regions ?? REGIONS) {
    // A transaction function may run more than once: it returns its findings
    // and they are added up only after it committed.
    const found = await deps.uow.run(region, async (tx) => {
      const out = { audits: 0, rows: 0, published: 0, missingOutbox: [] as MissingOutbox[], missingAudit: [] as MissingAudit[], stale: [] as StaleRow[] };
      const audits = await tx.audit.between(fromIso, toIso);
      const rows = await tx.outbox.createdBetween(fromIso, toIso);
      out.audits = audits.length;
      out.rows = rows.length;
      const rowIds = new Set(rows.map((r) => r.id));
      for (const a of audits) {
        if (a.event_id === null || rowIds.has(a.event_id)) continue;
        if ((await tx.outbox.get(a.event_id)) !== undefined) continue;
        out.missingOutbox.push({ region, audit_id: a.id, event_id: a.event_id, action: a.action, at: a.at });
      }
      const named = new Set(audits.flatMap((a) => (a.event_id === null ? [] : [a.event_id])));
      if (rows.some((r) => !named.has(r.id))) {
        const wide = await tx.audit.between(new Date(from - slack).toISOString(), new Date(to + slack).toISOString());
        for (const a of wide) if (a.event_id !== null) named.add(a.event_id);
      }
      for (const r of rows) {
        if (!named.has(r.id)) out.missingAudit.push({ region, event_id: r.id, type: r.type, created_at: r.created_at });
        if (r.published_at !== null) out.published++;
        else if (Date.parse(r.created_at) < staleBefore) {
          out.stale.push({ region, event_id: r.id, type: r.type, created_at: r.created_at, attempts: r.attempts });
        }
      }
      return out;
    });
    auditCount += found.audits;
    rowCount += found.rows;
    published += found.published;
    missingOutbox.push(...found.missingOutbox);
    missingAudit.push(...found.missingAudit);
    stale.push(...found.stale);
  }
  return {
    from: fromIso,
    to: toIso,
    checked_at: new Date(now).toISOString(),
    ok: missingOutbox.length === 0 && missingAudit.length === 0 && stale.length === 0,
    counts: {
      audit_events: auditCount,
      outbox_rows: rowCount,
      published,
      missing_outbox: missingOutbox.length,
      missing_audit: missingAudit.length,
      stale_unpublished: stale.length,
    },
    missing_outbox: missingOutbox.slice(0, MAX_LISTED),
    missing_audit: missingAudit.slice(0, MAX_LISTED),
    stale_unpublished: stale.slice(0, MAX_LISTED),
  };
}
