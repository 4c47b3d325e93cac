/**
 * The demo's HTTP client: every call goes to the running stack's edge, as an
 * app would send it, and comes back as status, headers and the parsed body.
 */

/** One answer of the edge. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON body, `{}` when there is none or it is not an object. */
  readonly body: Record<string, unknown>;
}

/** What a call sends. */
export interface CallOptions {
  /** A JSON body. */
  readonly json?: unknown;
  /** An `application/x-www-form-urlencoded` body (RFC 6749 token requests). */
  readonly form?: Readonly<Record<string, string>>;
  /** An access token for `Authorization: Bearer`. */
  readonly bearer?: string;
}

/** How long one call may take. */
const TIMEOUT_MS = 20_000;

/** A client of one edge (`http://127.0.0.1:8080` under `npm start`). */
export interface EdgeClient {
  readonly base: string;
  call(method: 'GET' | 'POST' | 'DELETE', path: string, options?: CallOptions): Promise<Answer>;
}

/** Builds a client of the edge at `base`. */
export function edgeClient(base: string): EdgeClient {
  return {
    base,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'iam-demo/1 (npm run demo)' };
      let body: string | undefined;
      if (options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.json);
      } else if (options.form !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams({ ...options.form }).toString();
      }
      if (options.bearer !== undefined) headers['authorization'] = `Bearer ${options.bearer}`;
      const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      const text = await res.text();
      let parsed: unknown = {};
      try {
        parsed = text === '' ? {} : JSON.parse(text);
      } catch {
        parsed = {};
      }
      const obj = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
      return { status: res.status, headers: res.headers, body: obj };
    },
  };
}

/**
 * An answer meaning "no such endpoint yet": 404 `not_found` from the edge's
 * URL map ("no route for ...") or from a function's router ("no such
 * endpoint"), not a 404 about a missing resource (a session id, say).
 */
export function notRouted(answer: Answer): boolean {
  const why = answer.body['error_description'];
  return answer.status === 404 && answer.body['error'] === 'not_found' && typeof why === 'string' && /^(no route for|no such endpoint)/.test(why);
}

/** `status error` of an answer, for messages. */
export function describeAnswer(answer: Answer): string {
  const code = typeof answer.body['error'] === 'string' ? ` ${answer.body['error']}` : '';
  const why = typeof answer.body['error_description'] === 'string' ? ` (${answer.body['error_description']})` : '';
  return `${answer.status}${code}${why}`;
}

/** A token shortened for the screen: never print a whole credential. */
export function short(token: unknown): string {
  const s = String(token);
  return s.length <= 20 ? s : `${s.slice(0, 16)}… (${s.length} chars)`;
}
