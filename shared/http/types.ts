/**
 * Framework-free HTTP shapes. Handlers take an {@link HttpRequest} and return an
 * {@link HttpResponse}; `framework.ts` adapts them to functions-framework.
 */
export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/v1/login`. */
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** The body bytes exactly as received (empty when there is none). */
  readonly rawBody: Buffer;
  /** The request id: taken from `x-request-id` when well formed, else generated. */
  readonly requestId: string;
  /** The `logging.googleapis.com/trace` value when a trace header came in. */
  readonly trace: string | undefined;
  /** Route parameters (`/v1/sessions/:session_id`). */
  readonly params: Readonly<Record<string, string>>;
  /**
   * The TCP peer's address (the socket's `remoteAddress`): the last proxy, not
   * necessarily the client. `client-ip.ts` derives the client from it and
   * `X-Forwarded-For`. Absent in tests that build requests by hand.
   */
  readonly remoteAddress?: string | undefined;
}

/** What a handler answers. `body` is serialised as JSON unless it is a string. */
export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A route handler. Throwing an `IamError` renders the error envelope. */
export type Handler = (req: HttpRequest) => Promise<HttpResponse>;
