/**
 * A loopback stand-in for the Pwned Passwords range API
 * (`GET /range/{prefix}`), for tests and the local stack. It answers with
 * CRLF-separated `SUFFIX:COUNT` lines, adds count-0 padding entries when the
 * request carries `Add-Padding: true`, records every request it receives, and
 * can be told to hang or to fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers. */
export type HibpServerMode = 'ok' | 'hang' | '503' | 'garbage' | 'slow';

/** One request as the server saw it. */
export interface ReceivedRangeRequest {
  readonly method: string;
  /** The path and query exactly as received. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body (empty for a proper GET). */
  readonly body: string;
}

/** Options of {@link startHibpRangeServer}. */
export interface HibpRangeServerOptions {
  /** Breached passwords and their counts. A count of 0 is served only as padding. */
  readonly passwords?: Readonly<Record<string, number>>;
  /** Random padding entries added per padded range (the real API pads to 800-1000 lines). */
  readonly paddingEntries?: number;
  /** Milliseconds before answering in `slow` mode. */
  readonly slowMs?: number;
}

/** A running server. */
export interface HibpRangeServer {
  /** `http://127.0.0.1:PORT`, to use as the adapter's base URL. */
  readonly url: string;
  readonly requests: ReceivedRangeRequest[];
  setMode(mode: HibpServerMode): void;
  /** Stops the server and drops every open connection (hung ones included). */
  close(): Promise<void>;
}

/** Upper-case hex SHA-1 of a password's UTF-8 bytes. */
function sha1(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}

/** Starts the server on a free loopback port. */
export async function startHibpRangeServer(options: HibpRangeServerOptions = {}): Promise<HibpRangeServer> {
  const byPrefix = new Map<string, { suffix: string; count: number }[]>();
  for (const [password, count] of Object.entries(options.passwords ?? {})) {
    const hex = sha1(password);
    const list = byPrefix.get(hex.slice(0, 5)) ?? [];
    list.push({ suffix: hex.slice(5), count });
    byPrefix.set(hex.slice(0, 5), list);
  }
  const requests: ReceivedRangeRequest[] = [];
  let mode: HibpServerMode = 'ok';

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (mode === 'hang') return; // never answer; close() drops the socket
      if (mode === '503') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
        return;
      }
      if (mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      }
      const m = /^\/range\/([0-9A-Fa-f]{5})$/.exec(req.url ?? '');
      if (req.method !== 'GET' || !m) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('The hash prefix was not in a valid format');
        return;
      }
      const padded = String(req.headers['add-padding']).toLowerCase() === 'true';
      const lines = (byPrefix.get((m[1] ?? '').toUpperCase()) ?? [])
        .filter((e) => e.count > 0 || padded)
        .map((e) => `${e.suffix}:${e.count}`);
      if (padded) {
        for (let i = 0; i < (options.paddingEntries ?? 100); i++) lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
      }
      const send = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
      if (mode === 'slow') setTimeout(send, options.slowMs ?? 3000).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
