/**
 * A local stand-in for Cloud Scheduler: POSTs each job of `topology.ts` to the
 * jobs function on its interval, the way a Cloud Scheduler HTTP target does.
 * Runs of one job never overlap. A job the function answers 404 for is not
 * implemented yet: it is reported once and dropped.
 */
import { JOBS, type JobSpec } from './topology.ts';

/** One run's outcome. */
export interface JobRun {
  readonly job: string;
  readonly status: number | 'unreachable';
  readonly ms: number;
  /** The response body, when it is short JSON. */
  readonly body?: unknown;
}

/** Options for {@link startScheduler}. */
export interface SchedulerOptions {
  /** The jobs function's base URL, e.g. `http://127.0.0.1:8108`. */
  readonly baseUrl: string;
  readonly jobs?: readonly JobSpec[];
  readonly onRun?: (run: JobRun) => void;
  /** Called once per job that answered 404 (and is dropped). */
  readonly onMissing?: (job: JobSpec) => void;
  /** Delay before the first runs, ms. */
  readonly initialDelayMs?: number;
}

/** A running scheduler. */
export interface Scheduler {
  /** The jobs still scheduled. */
  active(): string[];
  /** Stops the timers and waits for runs in flight. */
  stop(): Promise<void>;
}

/** Starts the timers. */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const abort = new AbortController();

  const schedule = (job: JobSpec, delay: number): void => {
    if (stopped) return;
    timers.set(job.name, setTimeout(() => {
      const run = runOnce(job).finally(() => inFlight.delete(run));
      inFlight.add(run);
    }, delay));
  };

  const runOnce = async (job: JobSpec): Promise<void> => {
    const started = performance.now();
    let status: number | 'unreachable';
    let body: unknown;
    try {
      const res = await fetch(new URL(job.path, options.baseUrl), {
        method: 'POST',
        headers: {
          // What Cloud Scheduler sends with an HTTP target.
          'user-agent': 'Google-Cloud-Scheduler',
          'x-cloudscheduler': 'true',
          'x-cloudscheduler-jobname': job.name,
          'x-cloudscheduler-scheduletime': new Date().toISOString(),
        },
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(Math.max(30_000, job.localEveryMs))]),
      });
      status = res.status;
      const text = await res.text();
      if (text.length > 0 && text.length < 2000) body = safeJson(text);
    } catch {
      status = 'unreachable';
    }
    if (stopped) return;
    if (status === 404) {
      timers.delete(job.name);
      options.onMissing?.(job);
      return;
    }
    options.onRun?.({ job: job.name, status, ms: Math.round(performance.now() - started), ...(body === undefined ? {} : { body }) });
    schedule(job, job.localEveryMs);
  };

  for (const job of options.jobs ?? JOBS) schedule(job, options.initialDelayMs ?? 500);

  return {
    active: () => [...timers.keys()],
    stop: async () => {
      stopped = true;
      abort.abort();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
