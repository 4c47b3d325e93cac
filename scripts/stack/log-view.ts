/**
 * The compact terminal view of the stack's logs. Full JSON lines stay in
 * `.local/logs/<name>.log`; the terminal gets one short prefixed line per
 * interesting event.
 */

/** functions-framework's start-up banner, which says nothing `npm start` does not. */
const BANNER = /^(Serving function\.\.\.|Function: |Signature type: |URL: http)/;
/** Stack frames and cause chains of raw errors: the full text is in the log file. */
const STACK = /^(\s+at |\s*Caused by: |\s*\.\.\. \d+ lines matching)/;

const SEVERITY_RANK: Readonly<Record<string, number>> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4, CRITICAL: 5 };

/**
 * Turns one raw line of a function's output into a compact terminal line, or
 * `undefined` to hide it: DEBUG lines, the banner, and successful scheduler
 * calls (`/jobs/*` every 2 s would drown everything else).
 */
export function compactLogLine(fn: string, raw: string): string | undefined {
  const line = raw.trimEnd();
  if (line === '' || BANNER.test(line) || STACK.test(line)) return undefined;
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return prefix(fn, line);
    entry = parsed as Record<string, unknown>;
  } catch {
    return prefix(fn, line);
  }
  const severity = typeof entry['severity'] === 'string' ? entry['severity'] : 'INFO';
  if ((SEVERITY_RANK[severity] ?? 1) < 1) return undefined;
  const message = typeof entry['message'] === 'string' ? entry['message'] : '';
  const http = entry['httpRequest'] as { requestMethod?: string; requestUrl?: string; status?: number; latency?: string } | undefined;
  if (http !== undefined) {
    const status = http.status ?? 0;
    if ((http.requestUrl ?? '').startsWith('/jobs/') && status < 400) return undefined;
    return prefix(fn, `${http.requestMethod ?? '?'} ${http.requestUrl ?? '?'} ${status} ${http.latency ?? ''}`.trimEnd());
  }
  const extras = ['error', 'job', 'event_type', 'tenant_id', 'status']
    .filter((k) => entry[k] !== undefined)
    .map((k) => `${k}=${String(entry[k])}`)
    .join(' ');
  return prefix(fn, `${severity === 'INFO' ? '' : `${severity} `}${message}${extras === '' ? '' : ` ${extras}`}`);
}

function prefix(fn: string, text: string): string {
  return `${fn.padEnd(18)}| ${text}`;
}

/**
 * Drops a line identical to one printed for the same source within `windowMs`
 * (a failing job repeats the same error every 2 s). Returns the line to print,
 * or `undefined`.
 */
export function deduper(windowMs = 10_000, now: () => number = Date.now): (source: string, line: string) => string | undefined {
  const last = new Map<string, number>();
  return (source, line) => {
    const key = `${source}\u0000${line}`;
    const t = now();
    const seen = last.get(key);
    last.set(key, t);
    if (last.size > 500) last.clear();
    return seen !== undefined && t - seen < windowMs ? undefined : line;
  };
}
