/**
 * A tiny in-process counter for breach checks. The adapters count every
 * outcome, and each fail-open by its reason, so a dashboard or a test can see
 * that the check is being skipped (SPEC 4.1: "it fails open, and logs and
 * counts when it does").
 */

/** Why a check failed open. */
export type FailOpenReason = 'timeout' | 'http_status' | 'network' | 'bad_response' | 'local_source';

/** The counters. */
export interface BreachCounts {
  checks: number;
  breached: number;
  clean: number;
  /** Every `unknown` answer. */
  fail_open: number;
  fail_open_by_reason: Record<FailOpenReason, number>;
}

/** Counters shared by one process's breach-check adapters. */
export interface BreachMetrics {
  /** A snapshot of the counters. */
  snapshot(): BreachCounts;
  /** Counts one answer. */
  record(outcome: 'breached' | 'clean'): void;
  /** Counts one fail-open answer and its reason. */
  failOpen(reason: FailOpenReason): void;
}

/** New zeroed counters. */
export function createBreachMetrics(): BreachMetrics {
  const c: BreachCounts = {
    checks: 0,
    breached: 0,
    clean: 0,
    fail_open: 0,
    fail_open_by_reason: { timeout: 0, http_status: 0, network: 0, bad_response: 0, local_source: 0 },
  };
  return {
    snapshot: () => ({ ...c, fail_open_by_reason: { ...c.fail_open_by_reason } }),
    record(outcome) {
      c.checks++;
      c[outcome]++;
    },
    failOpen(reason) {
      c.checks++;
      c.fail_open++;
      c.fail_open_by_reason[reason]++;
    },
  };
}
