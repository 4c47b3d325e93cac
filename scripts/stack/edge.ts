/**
 * The local edge: a stand-in for the production HTTPS load balancer.
 *
 * - Routes paths to functions with the URL map of `topology.ts` (longest path
 *   rule wins); anything else is a 404 error envelope. `/jobs/*` and the event
 *   endpoints are never routed.
 * - Sets `X-Forwarded-For` the way Google's load balancer does: whatever the
 *   client sent, then `<client-ip>,<edge-ip>`. So, as in production, the
 *   client IP is the second-to-last entry.
 * - Sets `X-Forwarded-Proto` and passes a well-formed `x-request-id` through
 *   (or sets one), and adds `X-Cloud-Trace-Context` when no trace header came in.
 * - On its TLS port it asks for a client certificate (never requires one) and
 *   forwards it as the load balancer's mTLS custom headers (`mtls-headers.ts`).
 *   The chain is verified against a trust bundle file when one exists.
 * - Always strips `X-Client-Cert-*` headers sent by clients.
 * - Caps request bodies (1 MiB by default) with a 413 envelope.
 */
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IamErrorCode } from '../../shared/domain/errors.ts';
import { statusOf } from '../../shared/http/status.ts';
import { MTLS_HEADER_PREFIX, mtlsHeaders, type PeerCertificate } from './mtls-headers.ts';
import { EDGE_BODY_LIMIT_BYTES, routeFor, URL_MAP, type PathRule } from './topology.ts';

/** Where a function listens. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** One access-log record (no query string, no IP beyond what the caller masks). */
export interface EdgeAccess {
  readonly request_id: string;
  readonly method: string;
  readonly path: string;
  readonly function: string | undefined;
  readonly status: number;
  readonly latency_ms: number;
  readonly scheme: 'http' | 'https';
  readonly remote_ip: string;
  readonly client_cert: boolean;
  /** `edge` when the edge answered itself (404, 413, 503), `upstream` when a function did. */
  readonly origin: 'edge' | 'upstream';
}

/** Options for {@link startEdge}. */
export interface EdgeOptions {
  /** Listen address; loopback by default. */
  readonly host?: string;
  /** Plain HTTP port (0 picks a free one). */
  readonly httpPort: number;
  /** TLS port (0 picks a free one); no TLS listener when absent. */
  readonly httpsPort?: number;
  /** The server certificate and key (PEM) for the TLS port. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * A PEM file of trusted roots and intermediates for client certificates.
   * Watched: the edge picks up changes and the file appearing later.
   */
  readonly trustBundleFile?: string;
  /** The upstream of a function, or `undefined` when it is not running. */
  readonly upstream: (fn: string) => Upstream | undefined;
  readonly urlMap?: readonly PathRule[];
  readonly bodyLimitBytes?: number;
  readonly upstreamTimeoutMs?: number;
  readonly onAccess?: (entry: EdgeAccess) => void;
}

/** A running edge. */
export interface Edge {
  /** `http://host:port`. */
  readonly httpUrl: string;
  /** `https://host:port`, when TLS is on. */
  readonly httpsUrl: string | undefined;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and headers the edge sets itself. */
const DROP_REQUEST = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-request-id',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The request ids the edge passes through; anything else is replaced (same rule as `shared/http/framework.ts`). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Starts the edge and resolves once it listens. */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const host = options.host ?? '127.0.0.1';
  const limit = options.bodyLimitBytes ?? EDGE_BODY_LIMIT_BYTES;
  const timeout = options.upstreamTimeoutMs ?? 60_000;
  const urlMap = options.urlMap ?? URL_MAP;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const trust = options.trustBundleFile === undefined ? undefined : trustBundle(options.trustBundleFile);

  const handler = (scheme: 'http' | 'https') => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    proxy(req, res, { scheme, limit, timeout, urlMap, agent, upstream: options.upstream, onAccess: options.onAccess,
      peer: scheme === 'https' ? peerCertificate(req.socket as TLSSocket) : undefined });
  };

  const plain = http.createServer(handler('http'));
  const servers: net.Server[] = [plain];
  const httpPort = await listen(plain, options.httpPort, host);
  let httpsUrl: string | undefined;
  let secure: https.Server | undefined;
  if (options.httpsPort !== undefined) {
    if (options.tls === undefined) throw new Error('the TLS port needs a certificate');
    const tlsOptions = (): https.ServerOptions => ({
      cert: options.tls?.cert,
      key: options.tls?.key,
      // Ask for a client certificate but never require one, like the load
      // balancer's ALLOW_INVALID_OR_MISSING_CLIENT_CERT mode; the verdict is
      // forwarded in X-Client-Cert-Chain-Verified.
      requestCert: true,
      rejectUnauthorized: false,
      ...(trust?.pem() === undefined ? {} : { ca: trust.pem() }),
    });
    secure = https.createServer(tlsOptions(), handler('https'));
    // Whether the chain was verified is decided by the context of the handshake.
    secure.on('secureConnection', (socket: TLSSocket) => verifiedAtHandshake.set(socket, trust?.active() ?? false));
    const server = secure;
    trust?.onChange(() => server.setSecureContext(tlsOptions()));
    servers.push(secure);
    httpsUrl = `https://${urlHost(host)}:${await listen(secure, options.httpsPort, host)}`;
  }
  return {
    httpUrl: `http://${urlHost(host)}:${httpPort}`,
    httpsUrl,
    close: async () => {
      trust?.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              (s as http.Server).closeAllConnections();
            }),
        ),
      );
      agent.destroy();
    },
  };
}

interface ProxyContext {
  readonly scheme: 'http' | 'https';
  readonly limit: number;
  readonly timeout: number;
  readonly urlMap: readonly PathRule[];
  readonly agent: http.Agent;
  readonly upstream: (fn: string) => Upstream | undefined;
  readonly onAccess: ((entry: EdgeAccess) => void) | undefined;
  readonly peer: PeerCertificate | undefined;
}

function proxy(req: http.IncomingMessage, res: http.ServerResponse, ctx: ProxyContext): void {
  const started = performance.now();
  const incomingId = header(req, 'x-request-id');
  const requestId = incomingId !== undefined && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const target = parseTarget(req.url ?? '/');
  const fn = target === undefined ? undefined : routeFor(target.path, ctx.urlMap);
  let status = 0;
  const done = (code: number, origin: 'edge' | 'upstream'): void => {
    if (status !== 0) return;
    status = code;
    ctx.onAccess?.({
      request_id: requestId,
      method: req.method ?? 'GET',
      path: target?.path ?? '(unparsable)',
      function: fn,
      status: code,
      latency_ms: Math.round(performance.now() - started),
      scheme: ctx.scheme,
      remote_ip: req.socket.remoteAddress ?? '',
      client_cert: ctx.peer?.leaf !== undefined,
      origin,
    });
  };
  let answered = false;
  const fail = (code: IamErrorCode, description: string, extra: Record<string, string> = {}): void => {
    if (answered) return;
    answered = true;
    const s = statusOf(code);
    if (!res.headersSent) {
      res.writeHead(s, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'x-request-id': requestId,
        ...extra,
      });
      res.end(JSON.stringify({ error: code, error_description: description, request_id: requestId }));
    } else {
      res.destroy();
    }
    done(s, 'edge');
  };

  if (target === undefined) return fail('invalid_request', 'the request target is not a path');
  if (fn === undefined) {
    req.resume();
    return fail('not_found', `no route for ${target.path}`);
  }
  const declared = Number(header(req, 'content-length') ?? '0');
  if (Number.isFinite(declared) && declared > ctx.limit) {
    req.resume();
    return fail('payload_too_large', `the body exceeds ${ctx.limit} bytes`, { connection: 'close' });
  }
  const upstream = ctx.upstream(fn);
  if (upstream === undefined) {
    req.resume();
    return fail('temporarily_unavailable', `the ${fn} function is not running`, { 'retry-after': '1' });
  }

  const forward = http.request({
    host: upstream.host,
    port: upstream.port,
    method: req.method,
    path: target.path + target.search,
    headers: forwardHeaders(req, ctx, requestId),
    agent: ctx.agent,
    timeout: ctx.timeout,
  });
  forward.on('timeout', () => forward.destroy(new Error('upstream timeout')));
  forward.on('error', () => fail('temporarily_unavailable', `the ${fn} function did not answer`, { 'retry-after': '1' }));
  forward.on('response', (up) => {
    if (answered) {
      up.resume();
      return;
    }
    answered = true;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) {
      if (v !== undefined && !DROP_RESPONSE.has(k)) headers[k] = v;
    }
    headers['x-request-id'] ??= requestId;
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
    up.on('end', () => done(up.statusCode ?? 502, 'upstream'));
    up.on('error', () => res.destroy());
    up.on('aborted', () => res.destroy());
  });
  res.on('close', () => {
    if (!res.writableFinished) forward.destroy();
  });

  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > ctx.limit) {
      req.pause();
      forward.destroy();
      fail('payload_too_large', `the body exceeds ${ctx.limit} bytes`, { connection: 'close' });
      return;
    }
    if (!forward.write(chunk)) {
      req.pause();
      forward.once('drain', () => req.resume());
    }
  });
  req.on('end', () => {
    if (received <= ctx.limit) forward.end();
  });
  req.on('error', () => forward.destroy());
}

function forwardHeaders(req: http.IncomingMessage, ctx: ProxyContext, requestId: string): http.OutgoingHttpHeaders {
  const listed = new Set(
    (header(req, 'connection') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // Never trust a client's own X-Client-Cert-* headers (no spoofing).
    if (v === undefined || DROP_REQUEST.has(k) || listed.has(k) || k.startsWith(MTLS_HEADER_PREFIX)) continue;
    out[k] = v;
  }
  const peerIp = plainIp(req.socket.remoteAddress);
  const edgeIp = plainIp(req.socket.localAddress);
  const prior = header(req, 'x-forwarded-for');
  out['x-forwarded-for'] = [prior, peerIp, edgeIp].filter((s) => s !== undefined && s !== '').join(',');
  out['x-forwarded-proto'] = ctx.scheme;
  out['x-request-id'] = requestId;
  if (out['x-cloud-trace-context'] === undefined && out['traceparent'] === undefined) {
    out['x-cloud-trace-context'] = `${randomBytes(16).toString('hex')}/${BigInt(`0x${randomBytes(8).toString('hex')}`) >> 1n};o=1`;
  }
  if (ctx.peer !== undefined) Object.assign(out, mtlsHeaders(ctx.peer));
  return out;
}

/** The path (dot segments resolved) and query of a request target, or `undefined` when it is not origin-form. */
function parseTarget(raw: string): { path: string; search: string } | undefined {
  if (!raw.startsWith('/')) return undefined;
  try {
    // Prefixing an origin keeps `//x` a path instead of a host.
    const url = new URL(`http://edge.invalid${raw}`);
    return { path: url.pathname, search: url.search };
  } catch {
    return undefined;
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function plainIp(address: string | undefined): string | undefined {
  return address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function listen(server: net.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the edge has no TCP address');
  return address.port;
}

const peers = new WeakMap<TLSSocket, PeerCertificate>();
const verifiedAtHandshake = new WeakMap<TLSSocket, boolean>();

/** The client certificate of a TLS connection (computed once per connection). */
function peerCertificate(socket: TLSSocket): PeerCertificate {
  const verifying = verifiedAtHandshake.get(socket) ?? false;
  const cached = peers.get(socket);
  if (cached !== undefined) return cached;
  const leaf = socket.getPeerX509Certificate();
  let peer: PeerCertificate;
  if (leaf === undefined) {
    peer = { leaf: undefined, chain: [], verification: 'not_performed' };
  } else {
    const chain: X509Certificate[] = [];
    let current = socket.getPeerCertificate(true).issuerCertificate;
    const seen = new Set<string>([leaf.fingerprint256]);
    while (current?.raw !== undefined) {
      const cert = new X509Certificate(current.raw);
      if (seen.has(cert.fingerprint256)) break;
      seen.add(cert.fingerprint256);
      chain.push(cert);
      current = current.issuerCertificate;
    }
    const verification = !verifying ? 'not_performed' : socket.authorized ? 'ok' : errorCode(socket.authorizationError);
    peer = { leaf, chain, verification };
  }
  peers.set(socket, peer);
  return peer;
}

function errorCode(e: Error | string | undefined): string {
  if (e === undefined) return 'UNKNOWN';
  if (typeof e === 'string') return e;
  return (e as { code?: string }).code ?? e.message;
}

interface TrustBundle {
  /** Whether a bundle is loaded (chains are verified). */
  active(): boolean;
  pem(): string | undefined;
  onChange(listener: () => void): void;
  close(): void;
}

/** Loads a PEM bundle and reloads it when the file changes (or appears). */
function trustBundle(file: string): TrustBundle {
  let pem: string | undefined;
  const listeners: Array<() => void> = [];
  const load = (): void => {
    let next: string | undefined;
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      next = text.includes('-----BEGIN CERTIFICATE-----') ? text : undefined;
    }
    if (next === pem) return;
    pem = next;
    for (const l of listeners) l();
  };
  load();
  watchFile(file, { interval: 250, persistent: false }, load);
  return {
    active: () => pem !== undefined,
    pem: () => pem,
    onChange: (l) => listeners.push(l),
    close: () => unwatchFile(file, load),
  };
}
