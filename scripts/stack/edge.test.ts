import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCertificates, issueCertificate, type DevCertificates, type IssuedCertificate } from './certs.ts';
import { startEdge, type Edge, type EdgeAccess } from './edge.ts';

/** What a stub upstream saw. */
interface Seen {
  readonly fn: string;
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly json: Record<string, unknown>;
}

let dir: string;
let certs: DevCertificates;
let deviceCa: IssuedCertificate;
let otherCa: IssuedCertificate;
let device: IssuedCertificate;
let stranger: IssuedCertificate;
let serverOnly: IssuedCertificate;
const stubs: http.Server[] = [];
const ports = new Map<string, number>();
let edge: Edge;
let verifyingEdge: Edge;
const access: EdgeAccess[] = [];

async function stub(fn: string): Promise<void> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const seen: Seen = { fn, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify(seen));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stubs.push(server);
  ports.set(fn, (server.address() as { port: number }).port);
}

function upstream(fn: string): { host: string; port: number } | undefined {
  const port = ports.get(fn);
  return port === undefined ? undefined : { host: '127.0.0.1', port };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'edge-test-'));
  certs = ensureDevCertificates(path.join(dir, 'certs'));
  deviceCa = issueCertificate({ dir, name: 'device-ca', subject: '/CN=test device CA', days: 30, ca: true });
  otherCa = issueCertificate({ dir, name: 'other-ca', subject: '/CN=someone else', days: 30, ca: true });
  device = issueCertificate({
    dir,
    name: 'device',
    subject: '/CN=dev-1',
    days: 2,
    san: ['URI:urn:melmastoon:tenant:t1:device:dev-1', 'DNS:dev-1.devices.example'],
    eku: ['clientAuth'],
    issuer: deviceCa,
  });
  serverOnly = issueCertificate({ dir, name: 'server-only', subject: '/CN=dev-3', days: 2, eku: ['serverAuth'], issuer: deviceCa });
  stranger = issueCertificate({ dir, name: 'stranger', subject: '/CN=dev-2', days: 2, eku: ['clientAuth'], issuer: otherCa });
  // token, refresh and accounts run; mfa-verify does not.
  for (const fn of ['token', 'refresh', 'accounts', 'device-cert-issue']) await stub(fn);
  const tls = { cert: certs.server.cert, key: certs.server.key };
  edge = await startEdge({ httpPort: 0, httpsPort: 0, tls, upstream, bodyLimitBytes: 1024, onAccess: (e) => access.push(e) });
  const bundle = path.join(dir, 'trust-bundle.pem');
  writeFileSync(bundle, deviceCa.cert);
  verifyingEdge = await startEdge({ httpPort: 0, httpsPort: 0, tls, upstream, trustBundleFile: bundle });
});

afterAll(async () => {
  await edge?.close();
  await verifyingEdge?.close();
  await Promise.all(stubs.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

interface CallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly client?: IssuedCertificate;
  readonly localAddress?: string;
  readonly chunked?: boolean;
}

async function call(base: string, target: string, options: CallOptions = {}): Promise<Reply> {
  const url = new URL(base);
  const secure = url.protocol === 'https:';
  const requestOptions: https.RequestOptions = {
    host: url.hostname,
    port: url.port,
    method: options.method ?? 'GET',
    path: target,
    headers: options.headers,
    agent: false,
    localAddress: options.localAddress,
    ...(secure ? { ca: certs.ca.cert, ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}) } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(requestOptions, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    if (options.chunked && options.body !== undefined) {
      const body = Buffer.from(options.body);
      for (let i = 0; i < body.length; i += 256) req.write(body.subarray(i, i + 256));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

function seen(reply: Reply): Seen {
  expect(reply.status).toBe(200);
  return reply.json as unknown as Seen;
}

describe('edge routing (the URL map)', () => {
  it.each([
    ['/.well-known/jwks.json', 'token'],
    ['/.well-known/openid-configuration', 'token'],
    ['/v1/login', 'token'],
    ['/v1/magic-link/redeem', 'token'],
    ['/v1/token', 'refresh'],
    ['/v1/sessions/abc', 'refresh'],
    ['/v1/users', 'accounts'],
    ['/v1/me/password', 'accounts'],
    ['/v1/tenants/t1/ca', 'device-cert-issue'],
  ])('routes %s to %s with path and query unchanged', async (p, fn) => {
    const s = seen(await call(edge.httpUrl, `${p}?x=1`));
    expect(s.fn).toBe(fn);
    expect(s.url).toBe(`${p}?x=1`);
  });

  it.each(['/', '/jobs/outbox-relay', '/v1/loginx', '/v1/login/../../jobs/outbox-relay', '/v1/mfa', '/.well-known', '/v2/login'])(
    'answers 404 with the error envelope for %s',
    async (p) => {
      const r = await call(edge.httpUrl, p, { headers: { 'x-request-id': 'req-12345678' } });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ error: 'not_found', error_description: expect.any(String), request_id: 'req-12345678' });
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    },
  );

  it('resolves dot segments before routing and forwards the normalised path', async () => {
    const s = seen(await call(edge.httpUrl, '/jobs/../v1/login'));
    expect(s.fn).toBe('token');
    expect(s.url).toBe('/v1/login');
  });

  it('answers 503 temporarily_unavailable with Retry-After when the routed function is not running', async () => {
    const r = await call(edge.httpUrl, '/v1/mfa/verify', { method: 'POST', body: '{}' });
    expect(r.status).toBe(503);
    expect(r.json['error']).toBe('temporarily_unavailable');
    expect(r.headers['retry-after']).toBe('1');
  });

  it('refuses a request target that is not a path', async () => {
    const r = await call(edge.httpUrl, 'http://example.com/v1/login');
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('invalid_request');
  });

  it('passes response headers back, including repeated ones', async () => {
    const r = await call(edge.httpUrl, '/v1/login');
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});

describe('forwarding headers', () => {
  it('appends the client and edge addresses to X-Forwarded-For, as the load balancer does', async () => {
    const s = seen(await call(edge.httpUrl, '/v1/login', { headers: { 'x-forwarded-for': '203.0.113.9' }, localAddress: '127.0.0.2' }));
    expect(s.headers['x-forwarded-for']).toBe('203.0.113.9,127.0.0.2,127.0.0.1');
    expect(s.headers['x-forwarded-proto']).toBe('http');
  });

  it('sets X-Forwarded-For from the peer alone when the client sent none', async () => {
    const s = seen(await call(edge.httpUrl, '/v1/login', { localAddress: '127.0.0.3' }));
    expect(s.headers['x-forwarded-for']).toBe('127.0.0.3,127.0.0.1');
  });

  it('passes a well-formed x-request-id through and replaces a malformed one', async () => {
    const kept = seen(await call(edge.httpUrl, '/v1/login', { headers: { 'x-request-id': 'abcdef-123456' } }));
    expect(kept.headers['x-request-id']).toBe('abcdef-123456');
    const replaced = seen(await call(edge.httpUrl, '/v1/login', { headers: { 'x-request-id': 'bad id<script>' } }));
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await call(edge.httpUrl, '/v1/login');
    expect(seen(fresh).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers['x-request-id']).toBe(seen(fresh).headers['x-request-id']);
  });

  it('adds X-Cloud-Trace-Context unless a trace header came in', async () => {
    const s = seen(await call(edge.httpUrl, '/v1/login'));
    expect(s.headers['x-cloud-trace-context']).toMatch(/^[0-9a-f]{32}\/\d+;o=1$/);
    const w3c = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const t = seen(await call(edge.httpUrl, '/v1/login', { headers: { traceparent: w3c } }));
    expect(t.headers['traceparent']).toBe(w3c);
    expect(t.headers['x-cloud-trace-context']).toBeUndefined();
  });

  it('strips X-Client-Cert-* headers a client sends on the plain port', async () => {
    const s = seen(
      await call(edge.httpUrl, '/v1/token', {
        headers: { 'X-Client-Cert-Present': 'true', 'X-Client-Cert-Chain-Verified': 'true', 'X-Client-Cert-Hash': 'spoofed', 'x-client-cert-anything': 'x' },
      }),
    );
    expect(Object.keys(s.headers).filter((h) => h.startsWith('x-client-cert-'))).toEqual([]);
  });

  it('strips spoofed headers on the TLS port and reports no certificate when none was presented', async () => {
    const s = seen(
      await call(edge.httpsUrl ?? '', '/v1/token', {
        headers: { 'X-Client-Cert-Present': 'true', 'X-Client-Cert-Chain-Verified': 'true', 'X-Client-Cert-Hash': 'spoofed', 'X-Client-Cert-Leaf': ':AAAA:' },
      }),
    );
    expect(s.headers['x-forwarded-proto']).toBe('https');
    expect(s.headers['x-client-cert-present']).toBe('false');
    expect(s.headers['x-client-cert-chain-verified']).toBe('false');
    expect(s.headers['x-client-cert-error']).toBe('client_cert_not_provided');
    expect(s.headers['x-client-cert-hash']).toBeUndefined();
    expect(s.headers['x-client-cert-leaf']).toBeUndefined();
  });
});

describe('mTLS headers on the TLS port', () => {
  it('forwards a presented client certificate as the load balancer mTLS headers', async () => {
    const s = seen(await call(edge.httpsUrl ?? '', '/v1/token', { method: 'POST', body: 'x', client: device, headers: { 'X-Client-Cert-Hash': 'spoofed' } }));
    const x = new X509Certificate(device.cert);
    expect(s.headers['x-client-cert-present']).toBe('true');
    expect(s.headers['x-client-cert-hash']).toBe(createHash('sha256').update(x.raw).digest('base64'));
    expect(s.headers['x-client-cert-leaf']).toBe(`:${x.raw.toString('base64')}:`);
    expect(s.headers['x-client-cert-serial-number']).toBe(x.serialNumber.toUpperCase());
    expect(s.headers['x-client-cert-uri-sans']).toBe(Buffer.from('urn:melmastoon:tenant:t1:device:dev-1').toString('base64'));
    expect(s.headers['x-client-cert-dnsname-sans']).toBe(Buffer.from('dev-1.devices.example').toString('base64'));
    expect(s.headers['x-client-cert-valid-not-before']).toBe(new Date(x.validFrom).toISOString().replace(/\.000Z$/, '+00:00'));
    expect(s.headers['x-client-cert-valid-not-after']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    // No trust bundle on this edge: the chain is never reported verified.
    expect(s.headers['x-client-cert-chain-verified']).toBe('false');
    expect(s.headers['x-client-cert-error']).toBe('client_cert_validation_not_performed');
    expect(s.body).toBe('x');
  });

  it('reports the chain verified when it chains to the trust bundle', async () => {
    const s = seen(await call(verifyingEdge.httpsUrl ?? '', '/v1/token', { client: device }));
    expect(s.headers['x-client-cert-chain-verified']).toBe('true');
    expect(s.headers['x-client-cert-error']).toBeUndefined();
    expect(s.headers['x-client-cert-hash']).toBe(createHash('sha256').update(new X509Certificate(device.cert).raw).digest('base64'));
  });

  it('reports validation_failed for a certificate from another CA, and still forwards it', async () => {
    const s = seen(await call(verifyingEdge.httpsUrl ?? '', '/v1/token', { client: stranger }));
    expect(s.headers['x-client-cert-present']).toBe('true');
    expect(s.headers['x-client-cert-chain-verified']).toBe('false');
    expect(s.headers['x-client-cert-error']).toBe('client_cert_validation_failed');
  });

  it('reports invalid_eku for a certificate of the trusted CA without clientAuth', async () => {
    const s = seen(await call(verifyingEdge.httpsUrl ?? '', '/v1/token', { client: serverOnly }));
    expect(s.headers['x-client-cert-chain-verified']).toBe('false');
    expect(s.headers['x-client-cert-error']).toBe('client_cert_chain_invalid_eku');
  });

  it('forwards the rest of the chain after the leaf', async () => {
    const s = seen(await call(verifyingEdge.httpsUrl ?? '', '/v1/token', { client: device }));
    const ca = new X509Certificate(deviceCa.cert);
    expect(s.headers['x-client-cert-chain']).toBe(`:${ca.raw.toString('base64')}:`);
  });

  it('picks up a trust bundle that appears after start', async () => {
    const bundle = path.join(dir, 'late-bundle.pem');
    const late = await startEdge({ httpPort: 0, httpsPort: 0, tls: { cert: certs.server.cert, key: certs.server.key }, upstream, trustBundleFile: bundle });
    try {
      const before = seen(await call(late.httpsUrl ?? '', '/v1/token', { client: device }));
      expect(before.headers['x-client-cert-error']).toBe('client_cert_validation_not_performed');
      writeFileSync(bundle, `${otherCa.cert}${deviceCa.cert}`);
      let verified = 'false';
      for (let i = 0; i < 75 && verified !== 'true'; i++) {
        await new Promise((r) => setTimeout(r, 150));
        verified = String(seen(await call(late.httpsUrl ?? '', '/v1/token', { client: device })).headers['x-client-cert-chain-verified']);
      }
      expect(verified).toBe('true');
    } finally {
      await late.close();
    }
  });
});

describe('body cap', () => {
  it('forwards a body under the cap', async () => {
    const s = seen(await call(edge.httpUrl, '/v1/login', { method: 'POST', body: 'a'.repeat(1000) }));
    expect(s.body).toHaveLength(1000);
  });

  it('refuses a declared Content-Length over the cap with 413', async () => {
    const r = await call(edge.httpUrl, '/v1/login', { method: 'POST', body: 'a'.repeat(2000) });
    expect(r.status).toBe(413);
    expect(r.json['error']).toBe('payload_too_large');
  });

  it('refuses a chunked body that grows over the cap with 413', async () => {
    const r = await call(edge.httpUrl, '/v1/login', { method: 'POST', body: 'a'.repeat(4000), chunked: true });
    expect(r.status).toBe(413);
    expect(r.json['error']).toBe('payload_too_large');
  });
});

describe('access log', () => {
  it('records method, path without query, function and status', async () => {
    await call(edge.httpUrl, '/v1/login?secret=1', { headers: { 'x-request-id': 'access-log-1' } });
    const entry = access.find((e) => e.request_id === 'access-log-1');
    expect(entry).toMatchObject({ method: 'GET', path: '/v1/login', function: 'token', status: 200, scheme: 'http' });
  });
});
