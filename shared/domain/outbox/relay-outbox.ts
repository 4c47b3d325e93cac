/**
 * The outbox relay (risk R-17): publishes every outbox row to the event bus
 * **at least once**, in order per aggregate.
 *
 * For each region: one transaction takes the pending rows (unpublished, lease
 * lapsed, oldest first) and leases them, so a second relay running at the same
 * time skips them; the lease lapses, so the rows of a relay that crashed are
 * taken again by the next run. Each row is then published with the aggregate
 * as the ordering key and the CloudEvents binary binding as attributes, and
 * marked published in its own small transaction. A crash between the publish
 * and the mark publishes the row again later: consumers dedupe on `ce-id`.
 *
 * Within one aggregate the rows go out one after the other; after a failed
 * publish the aggregate's later rows of the batch are left leased and retried
 * after the lease, so they never overtake it.
 */
import { toOutgoingMessage } from '../events/outgoing-message.ts';
import type { Clock, EventPublisher, UnitOfWork } from '../ports.ts';
import { REGIONS, type Region } from '../tenants/tenant.ts';
import type { OutboxRow } from './event.ts';

/** How long a relay holds the rows it took, by default: 60 s. */
export const DEFAULT_LEASE_MS = 60_000;

/** What {@link relayOutbox} needs. */
export interface RelayOutboxDeps {
  readonly uow: UnitOfWork;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  /** The topic iam-service publishes to (`IAM_EVENTS_TOPIC`). */
  readonly topic: string;
  /** How long a lease lasts; {@link DEFAULT_LEASE_MS} by default. */
  readonly leaseMs?: number;
  /** The regions to relay; all of them by default. */
  readonly regions?: readonly Region[];
}

/** Options of one relay run. */
export interface RelayOutboxInput {
  /** The most rows taken per region in this run. */
  readonly limit: number;
}

/** A row that could not be published in this run. */
export interface RelayFailure {
  readonly region: Region;
  readonly event_id: string;
  readonly ordering_key: string;
  /** `publish_failed`, or `blocked` when an earlier row of the same aggregate failed. */
  readonly reason: 'publish_failed' | 'blocked';
  readonly error: string | null;
}

/** What one relay run did. */
export interface RelayOutboxReport {
  /** Rows taken (leased) in this run. */
  readonly leased: number;
  readonly published: number;
  readonly failures: readonly RelayFailure[];
  readonly by_region: Readonly<Record<string, { readonly leased: number; readonly published: number }>>;
}

/** Publishes pending outbox rows of every region. Storage failures throw; publish failures are reported. */
export async function relayOutbox(deps: RelayOutboxDeps, input: RelayOutboxInput): Promise<RelayOutboxReport> {
  if (!Number.isInteger(input.limit) || input.limit < 1) throw new RangeError('limit must be a positive integer');
  const regions = deps.regions ?? REGIONS;
  // Every region runs to its end even when another fails; then the first storage failure is thrown.
  const settled = await Promise.allSettled(regions.map((region) => relayRegion(deps, region, input.limit)));
  const broken = settled.find((s) => s.status === 'rejected');
  if (broken !== undefined) throw broken.reason;
  const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const byRegion: Record<string, { leased: number; published: number }> = {};
  const failures: RelayFailure[] = [];
  let leased = 0;
  let published = 0;
  for (const r of results) {
    byRegion[r.region] = { leased: r.leased, published: r.published };
    leased += r.leased;
    published += r.published;
    failures.push(...r.failures);
  }
  return { leased, published, failures, by_region: byRegion };
}

interface RegionResult {
  readonly region: Region;
  readonly leased: number;
  readonly published: number;
  readonly failures: readonly RelayFailure[];
}

async function relayRegion(deps: RelayOutboxDeps, region: Region, limit: number): Promise<RegionResult> {
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const rows = await deps.uow.run(region, async (tx) => {
    const now = deps.clock.now();
    const pending = await tx.outbox.pending(iso(now), limit);
    for (const row of pending) tx.outbox.lease(row.id, iso(now + leaseMs), row.attempts + 1);
    return pending;
  });
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const group = groups.get(row.ordering_key);
    if (group === undefined) groups.set(row.ordering_key, [row]);
    else group.push(row);
  }
  const failures: RelayFailure[] = [];
  let published = 0;
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const [i, row] of group.entries()) {
        try {
          await deps.publisher.publish(toOutgoingMessage(row, deps.topic));
        } catch (e) {
          failures.push(failure(region, row, 'publish_failed', e));
          for (const later of group.slice(i + 1)) failures.push(failure(region, later, 'blocked', undefined));
          return;
        }
        await deps.uow.run(region, async (tx) => {
          tx.outbox.markPublished(row.id, iso(deps.clock.now()));
        });
        published++;
      }
    }),
  );
  return { region, leased: rows.length, published, failures };
}

function failure(region: Region, row: OutboxRow, reason: RelayFailure['reason'], e: unknown): RelayFailure {
  return {
    region,
    event_id: row.id,
    ordering_key: row.ordering_key,
    reason,
    error: e === undefined ? null : (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 300),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
