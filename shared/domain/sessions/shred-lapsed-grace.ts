/**
 * `shredLapsedGrace`: the grace window (docs/sessions.md, "The grace window")
 * keeps a rotated token's successor recoverable, sealed, so a retry inside the
 * window gets the same successor. Issue 4 asks for it to stay recoverable
 * *for the window* only: after it, the sealed copy of the family's live
 * token is a liability (a database dump plus the grace key would open it) and
 * of no use (a use of the old token after the window is a reuse). This job
 * clears `successor_sealed` and `grace_until` of every record whose window
 * has lapsed, per region, in batches. A rotation that meets a lapsed window
 * ignores the seal anyway; this makes the ciphertext itself go away.
 */
import type { Clock, UnitOfWork } from '../ports.ts';
import { REGIONS, type Region } from '../tenants/tenant.ts';

/** What {@link shredLapsedGrace} needs. */
export interface ShredLapsedGraceDeps {
  readonly uow: UnitOfWork;
  readonly clock: Clock;
  /** The regions to sweep; all of them by default. */
  readonly regions?: readonly Region[];
}

/** How much one run does. */
export interface ShredLapsedGraceInput {
  /** Records cleared per transaction. */
  readonly batchSize: number;
  /** Transactions per region in one run; `more` says whether work was left. */
  readonly maxBatches: number;
}

/** What one run did. */
export interface ShredLapsedGraceReport {
  readonly shredded: number;
  readonly by_region: Readonly<Record<string, number>>;
  /** True when a region still had lapsed seals after `maxBatches`: the next run goes on. */
  readonly more: boolean;
}

/** Clears the sealed successors whose grace window ended before now. Storage failures throw. */
export async function shredLapsedGrace(deps: ShredLapsedGraceDeps, input: ShredLapsedGraceInput): Promise<ShredLapsedGraceReport> {
  const now = new Date(deps.clock.now()).toISOString();
  const byRegion: Record<string, number> = {};
  let more = false;
  for (const region of deps.regions ?? REGIONS) {
    let count = 0;
    for (let batch = 0; batch < input.maxBatches; batch++) {
      const cleared = await deps.uow.run(region, async (tx) => {
        const lapsed = await tx.refreshTokens.graceLapsed(now, input.batchSize);
        for (const record of lapsed) tx.refreshTokens.put({ ...record, successor_sealed: null, grace_until: null });
        return lapsed.length;
      });
      count += cleared;
      if (cleared < input.batchSize) break;
      if (batch === input.maxBatches - 1) more = true;
    }
    byRegion[region] = count;
  }
  return { shredded: Object.values(byRegion).reduce((a, b) => a + b, 0), by_region: byRegion, more };
}
