/**
 * The demo's step runner: numbered steps printed as they run, each ending in
 * one of ✓ (passed), ✗ (failed: the demo exits non-zero), or "(not available
 * yet)" when the endpoints behind it are not built yet (a 404 `not_found`).
 */

/** Thrown inside a step when its endpoint is not routed yet. */
export class NotAvailable extends Error {
  override readonly name = 'NotAvailable';
}

/** Thrown inside a step when an answer is not what the story expects. */
export class StepFailed extends Error {
  override readonly name = 'StepFailed';
}

/** How a step ended. */
export type Outcome = 'passed' | 'failed' | 'skipped';

/** The runner. */
export interface Steps {
  /** Runs one step; returns its value, or `undefined` when it failed or was skipped. */
  run<T>(title: string, fn: (say: (line: string) => void) => Promise<T>): Promise<T | undefined>;
  /** Records a step that cannot run because an earlier one did not pass. */
  skip(title: string, why: string): void;
  readonly counts: Readonly<Record<Outcome, number>>;
}

/** Throws {@link StepFailed} unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

/** Builds a runner that prints with `print`. */
export function steps(print: (line: string) => void): Steps {
  const counts: Record<Outcome, number> = { passed: 0, failed: 0, skipped: 0 };
  let n = 0;
  const say = (line: string): void => print(`   ${line}`);
  return {
    counts,
    async run(title, fn) {
      n++;
      print('');
      print(`${n}. ${title}`);
      try {
        const value = await fn(say);
        counts.passed++;
        print(`   ✓ ${title}`);
        return value;
      } catch (e) {
        if (e instanceof NotAvailable) {
          counts.skipped++;
          print(`   (not available yet: ${e.message})`);
          return undefined;
        }
        counts.failed++;
        const message = e instanceof Error ? (e instanceof StepFailed ? e.message : `${e.name}: ${e.message}`) : String(e);
        print(`   ✗ FAILED: ${message}`);
        return undefined;
      }
    },
    skip(title, why) {
      n++;
      counts.skipped++;
      print('');
      print(`${n}. ${title}`);
      print(`   (skipped: ${why})`);
    },
  };
}
