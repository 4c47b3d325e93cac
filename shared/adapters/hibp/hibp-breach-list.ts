/**
 * `BreachList` on the Have I Been Pwned Pwned Passwords range API
 * (k-anonymity): only the first 5 hex characters of the password's SHA-1
 * leave the process, with `Add-Padding: true` so the response size does not
 * tell which range was asked for either.
 *
 * It FAILS OPEN (SPEC 4.1): on a timeout, a non-200, a network error or a body
 * it cannot parse it answers `unknown`, logs a warning without the password,
 * its hash or its prefix, and counts the reason.
 */
import type { BreachList } from '../../domain/ports.ts';
import type { Logger } from '../../log.ts';
import { type BreachMetrics, type FailOpenReason, createBreachMetrics } from './metrics.ts';
import { parseRange, rangeKey } from './range-format.ts';
import { readCapped } from '../http/read-capped.ts';

/** The public range API. */
export const HIBP_RANGE_BASE_URL = 'https://api.pwnedpasswords.com';
/** The longest we wait for the provider: login latency matters more than the check. */
export const MAX_TIMEOUT_MS = 1500;
/** A range body is ~40 KB (padded, up to ~1000 lines); anything past this is refused. */
const MAX_BODY_BYTES = 1 << 20;

/** Options of {@link createHibpBreachList}. */
export interface HibpBreachListOptions {
  /** The API base; {@link HIBP_RANGE_BASE_URL} by default, a loopback server in tests. */
  readonly baseUrl?: string;
  /** Sent as `User-Agent` (the API refuses requests without one). */
  readonly userAgent: string;
  /** At most {@link MAX_TIMEOUT_MS}, which is also the default. */
  readonly timeoutMs?: number;
  /** A password seen at least this many times is `breached`; 1 by default. */
  readonly minCount?: number;
  readonly log: Logger;
  /** Counters; a fresh set by default (read them through `metrics`). */
  readonly metrics?: BreachMetrics;
}

/** The adapter, with its counters. */
export interface HibpBreachList extends BreachList {
  readonly metrics: BreachMetrics;
}

/** Creates the HIBP range adapter. */
export function createHibpBreachList(options: HibpBreachListOptions): HibpBreachList {
  const base = new URL(options.baseUrl ?? HIBP_RANGE_BASE_URL);
  const timeoutMs = options.timeoutMs ?? MAX_TIMEOUT_MS;
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) throw new Error(`the HIBP timeout must be in (0, ${MAX_TIMEOUT_MS}] ms`);
  if (options.userAgent.trim() === '') throw new Error('the HIBP range API needs a user agent');
  const minCount = options.minCount ?? 1;
  const metrics = options.metrics ?? createBreachMetrics();

  const failOpen = (reason: FailOpenReason, started: number, fields: Record<string, unknown> = {}): 'unknown' => {
    metrics.failOpen(reason);
    // Never the password, its hash or its prefix: only why and how long.
    options.log.warn('breach check failed open', { provider: 'hibp', reason, elapsed_ms: Math.round(performance.now() - started), ...fields });
    return 'unknown';
  };

  return {
    metrics,
    async check(password) {
      const { prefix, suffix } = rangeKey(password);
      const started = performance.now();
      const signal = AbortSignal.timeout(timeoutMs);
      let body: string;
      try {
        const res = await fetch(new URL(`range/${prefix}`, ensureSlash(base)), {
          method: 'GET',
          headers: { 'Add-Padding': 'true', 'User-Agent': options.userAgent, Accept: 'text/plain' },
          signal,
          redirect: 'error',
        });
        if (res.status !== 200) {
          await res.body?.cancel().catch(() => undefined);
          return failOpen('http_status', started, { status: res.status });
        }
        const text = await readCapped(res, MAX_BODY_BYTES);
        if (text === undefined) return failOpen('bad_response', started, { detail: 'body too large' });
        body = text;
      } catch (err) {
        const timedOut = signal.aborted || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'));
        return failOpen(timedOut ? 'timeout' : 'network', started, timedOut ? {} : { error: errorName(err) });
      }
      const range = parseRange(body);
      if (range === undefined) return failOpen('bad_response', started, { detail: 'unparseable range' });
      const count = range.get(suffix) ?? 0;
      const outcome = count >= minCount ? 'breached' : 'clean';
      metrics.record(outcome);
      return outcome;
    },
  };
}

function ensureSlash(u: URL): URL {
  return u.pathname.endsWith('/') ? u : new URL(`${u.pathname}/`, u);
}

/** A short, password-free description of a network error. */
function errorName(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : err.name;
}
