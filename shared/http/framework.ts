import { randomUUID } from 'node:crypto';
import http from 'node:http';
import * as functions from '@google-cloud/functions-framework';
import { IamError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';
import { errorResponse } from './envelope.ts';
import { MAX_BODY_BYTES } from './parse-body.ts';
import type { Handler, HttpRequest, HttpResponse } from './types.ts';

/** What the framework adapter needs besides the handler. */
export interface ServeOptions {
  /** The function name (`--target`). */
  readonly name: string;
  readonly log: Logger;
  /** The GCP project, for the `logging.googleapis.com/trace` field. */
  readonly projectId: string;
}

type ExpressRequest = http.IncomingMessage & { rawBody?: Buffer; path?: string };
type ExpressResponse = http.ServerResponse;

/**
 * Registers `handler` as a functions-framework HTTP function named `options.name`.
 * Every response carries `x-request-id`; every failure is the error envelope.
 */
export function serve(handler: Handler, options: ServeOptions): void {
  installFrameworkErrorEnvelope(options.log);
  functions.http(options.name, (req, res) => {
    // functions-framework answers an unhandled rejection with a 500 and exits
    // the process, dropping every request in flight: nothing may escape here.
    handleOnce(handler, options, req as unknown as ExpressRequest, res as unknown as ExpressResponse).catch((e: unknown) => {
      const requestId = requestIdOf(req.headers['x-request-id']);
      options.log.error('request failed outside the handler', { request_id: requestId, err: e instanceof Error ? e.name : 'unknown' });
      write(res as unknown as ExpressResponse, errorResponse(e, requestId, options.log), requestId, false);
    });
  });
}

/** Runs one request through `handler` and writes the response. Exported for tests. */
export async function handleOnce(
  handler: Handler,
  options: ServeOptions,
  req: ExpressRequest,
  res: ExpressResponse,
): Promise<void> {
  const started = performance.now();
  const request = toHttpRequest(req, options.projectId);
  const log = options.log.child({
    request_id: request.requestId,
    ...(request.trace === undefined ? {} : { 'logging.googleapis.com/trace': request.trace }),
  });
  let response: HttpResponse;
  try {
    if (request.malformedTarget) throw new IamError('invalid_request', 'the request target is not a valid path');
    const tooLarge = wentOverCap(req);
    if (tooLarge !== undefined) throw tooLarge;
    response = await handler(request);
  } catch (e) {
    response = errorResponse(e, request.requestId, log);
  }
  write(res, response, request.requestId, req.method === 'HEAD');
  log.info('request', {
    httpRequest: {
      requestMethod: req.method,
      requestUrl: request.path,
      status: response.status,
      latency: `${((performance.now() - started) / 1000).toFixed(4)}s`,
    },
  });
}

/** Accepts a caller's request id only when it is short and plain. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function toHttpRequest(req: ExpressRequest, projectId: string): HttpRequest & { readonly malformedTarget: boolean } {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  // Node's parser lets through targets WHATWG URL parsing refuses (`//a:99999/x`): a client error.
  const url = URL.parse(req.url ?? '/', 'http://function.local');
  return {
    malformedTarget: url === null,
    method: (req.method ?? 'GET').toUpperCase(),
    path: url?.pathname ?? '',
    headers,
    query: url?.searchParams ?? new URLSearchParams(),
    rawBody: Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.alloc(0),
    requestId: requestIdOf(headers['x-request-id']),
    trace: traceOf(headers, projectId),
    params: {},
    remoteAddress: req.socket?.remoteAddress,
  };
}

/** The caller's `x-request-id` when it is well formed, else a fresh one. */
function requestIdOf(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

function traceOf(headers: Record<string, string | undefined>, projectId: string): string | undefined {
  const cloud = /^([0-9a-f]{32})\//i.exec(headers['x-cloud-trace-context'] ?? '');
  const w3c = /^[0-9a-f]{2}-([0-9a-f]{32})-/i.exec(headers['traceparent'] ?? '');
  const id = cloud?.[1] ?? w3c?.[1];
  return id === undefined ? undefined : `projects/${projectId}/traces/${id.toLowerCase()}`;
}

function write(res: ExpressResponse, response: HttpResponse, requestId: string, head: boolean): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { 'x-request-id': requestId, ...response.headers };
  let payload: string | undefined;
  if (response.body !== undefined) {
    if (typeof response.body === 'string') {
      payload = response.body;
    } else {
      payload = JSON.stringify(response.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
  }
  res.writeHead(response.status, headers);
  res.end(head ? undefined : payload);
}

let installed = false;

/**
 * functions-framework parses bodies with body-parser before our handler runs:
 * its default error page for malformed JSON is HTML with a stack trace, and it
 * buffers (and inflates) bodies up to 1 GiB. The framework builds its express
 * app and then calls `http.createServer(app)`; there we
 * - refuse, before any byte of the body is read, a declared `content-length`
 *   over {@link MAX_BODY_BYTES} (413) and any `content-encoding` but identity
 *   (415: a small gzip body could inflate to a gigabyte);
 * - append one error middleware so body-parser's failures get our envelope.
 */
export function installFrameworkErrorEnvelope(log: Logger): void {
  if (installed) return;
  installed = true;
  const original = http.createServer.bind(http) as (...args: unknown[]) => http.Server;
  (http as { createServer: unknown }).createServer = (...args: unknown[]): http.Server => {
    const index = args.findIndex((a) => typeof a === 'function' && typeof (a as { use?: unknown }).use === 'function');
    if (index < 0) return original(...args);
    const app = args[index] as ((req: ExpressRequest, res: ExpressResponse) => void) & {
      use: (mw: unknown) => void;
    };
    app.use((err: unknown, req: ExpressRequest, res: ExpressResponse, next: (e?: unknown) => void) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      const requestId = requestIdOf(req.headers['x-request-id']);
      write(res, errorResponse(wentOverCap(req) ?? bodyParserError(err), requestId, log), requestId, false);
    });
    const guarded = (req: ExpressRequest, res: ExpressResponse): void => {
      const refused = refuseBeforeReading(req);
      if (refused === undefined) {
        capBodyAsItArrives(req);
        app(req, res);
        return;
      }
      const requestId = requestIdOf(req.headers['x-request-id']);
      write(res, errorResponse(refused, requestId, log), requestId, false);
    };
    const rest = [...args];
    rest[index] = guarded;
    return original(...rest);
  };
}

/** Requests whose chunked body went past the cap: answered 413 whatever reached the parser. */
const overCap = new WeakSet<http.IncomingMessage>();

/**
 * A body without a content-length (chunked) cannot be refused up front, and
 * functions-framework's body-parser would buffer up to 1 GiB of it. So count
 * the bytes where the HTTP parser hands them to the request (`push`): past
 * {@link MAX_BODY_BYTES} the rest is read and discarded, never retained (only
 * the socket's transient read buffers exist, until the GC takes them), and the
 * request is answered 413 when the body ends. Answering earlier would
 * close a socket the client is still writing to, and the reset can drop the
 * answer unread (RFC 9112 §9.6).
 */
function capBodyAsItArrives(req: http.IncomingMessage): void {
  if (req.headers['content-length'] !== undefined) return;
  const push = req.push.bind(req);
  let seen = 0;
  req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null) return push(chunk, encoding);
    if (overCap.has(req)) return true;
    seen += (chunk as { length: number }).length;
    if (seen <= MAX_BODY_BYTES) return push(chunk, encoding);
    overCap.add(req);
    return true;
  };
}

/** Whether `req`'s chunked body went past the cap (then only a 413 may answer it). */
function wentOverCap(req: http.IncomingMessage): IamError | undefined {
  return overCap.has(req) ? new IamError('payload_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`) : undefined;
}

/** The checks that must happen before body-parser reads the body, if one fails. */
export function refuseBeforeReading(req: http.IncomingMessage): IamError | undefined {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) {
    return new IamError('payload_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    return new IamError('unsupported_media_type', 'content-encoding is not supported');
  }
  return undefined;
}

/** Maps body-parser's failures to our codes. */
export function bodyParserError(err: unknown): IamError {
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.parse.failed') return new IamError('invalid_json', 'the body is not valid JSON', { cause: err });
  if (type === 'entity.too.large') return new IamError('payload_too_large', 'the body is too large', { cause: err });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new IamError('unsupported_media_type', 'unsupported body encoding', { cause: err });
  }
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new IamError('invalid_request', 'the request could not be read', { cause: err });
  }
  return new IamError('server_error', 'unexpected framework error', { cause: err });
}
