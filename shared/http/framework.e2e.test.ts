/**
 * A REAL functions-framework process serving `fixtures/echo-function.ts`
 * through `serve()`: what a client of a deployed function sees, including the
 * failures that happen inside the framework's body-parser before our handler.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startProcess, waitForHttp, type Managed } from '../../scripts/stack/processes.ts';
import { MAX_BODY_BYTES } from './parse-body.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let port = 0;
let proc: Managed | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  port = await freePort();
  proc = startProcess({
    name: 'echo-function',
    command: process.execPath,
    args: [
      path.join(root, 'node_modules/.bin/functions-framework'),
      '--target=echo',
      `--source=${path.join(root, 'shared/http/fixtures/echo-function.ts')}`,
      `--port=${port}`,
      '--signature-type=http',
    ],
    cwd: root,
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', NODE_ENV: 'production' },
    onLine: (line) => logLines.push(line),
  });
  let dead = false;
  proc.child.once('exit', () => {
    dead = true;
  });
  await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000, () => dead);
});

afterAll(async () => {
  await proc?.stop();
});

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  json(): Record<string, unknown>;
}

interface SendOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body with `transfer-encoding: chunked` and no content-length. */
  readonly chunked?: boolean;
}

/** One raw HTTP exchange, so the test controls every header and byte. */
function send(method: string, urlPath: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined && options.chunked !== true) headers['content-length'] = String(body.length);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined && options.chunked === true) {
      // Several chunks, so nothing can know the length up front.
      for (let i = 0; i < body.length; i += 16_384) req.write(body.subarray(i, i + 16_384));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Asserts an error envelope: JSON, our three members, no HTML, no stack trace. */
function expectEnvelope(reply: Reply, status: number, error: string): Record<string, unknown> {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(reply.text).not.toMatch(/<html|<pre|<!DOCTYPE/i);
  expect(reply.text).not.toMatch(/\bat \S+ \(|node_modules|body-parser|SyntaxError/);
  const body = reply.json();
  expect(body['error']).toBe(error);
  expect(typeof body['error_description']).toBe('string');
  expect(body['request_id']).toBe(reply.headers['x-request-id']);
  return body;
}

const json = { 'content-type': 'application/json' };

/** A JSON body of exactly `size` bytes. */
function jsonOfSize(size: number): string {
  const head = '{"message":"';
  return head + 'x'.repeat(size - head.length - 2) + '"}';
}

describe('serve() under a real functions-framework', () => {
  it('answers a good request and generates a request id', async () => {
    const reply = await send('POST', '/echo', { headers: json, body: '{"message":"hi"}' });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ message: 'hi', request_id: reply.headers['x-request-id'] });
    expect(reply.headers['x-request-id']).toMatch(UUID);
    expect(reply.headers['x-powered-by']).toBeUndefined();
  });

  it('echoes a well-formed x-request-id', async () => {
    const reply = await send('POST', '/echo', { headers: { ...json, 'x-request-id': 'client-req.0001:abc' }, body: '{"message":"hi"}' });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-request-id']).toBe('client-req.0001:abc');
    expect(reply.json()['request_id']).toBe('client-req.0001:abc');
  });

  it.each([
    ['too short', 'abc'],
    ['with spaces', 'has spaces in it'],
    ['with markup', '<script>alert(1)</script>'],
    ['too long', 'a'.repeat(129)],
  ])('replaces an x-request-id that is %s', async (_name, id) => {
    const reply = await send('GET', '/health', { headers: { 'x-request-id': id } });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-request-id']).toMatch(UUID);
  });

  it('answers malformed JSON with our invalid_json envelope, not the framework HTML page', async () => {
    const reply = await send('POST', '/echo', { headers: json, body: '{"message": "hi",' });
    const body = expectEnvelope(reply, 400, 'invalid_json');
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description', 'request_id']);
    expect(reply.headers['x-request-id']).toMatch(UUID);
  });

  it('keeps a well-formed x-request-id on a body-parser failure too', async () => {
    const reply = await send('POST', '/echo', { headers: { ...json, 'x-request-id': 'client-req-malformed-1' }, body: '{oops' });
    expectEnvelope(reply, 400, 'invalid_json');
    expect(reply.headers['x-request-id']).toBe('client-req-malformed-1');
  });

  it('accepts exactly 64 KiB', async () => {
    const reply = await send('POST', '/echo', { headers: json, body: jsonOfSize(MAX_BODY_BYTES) });
    expect(reply.status).toBe(200);
  });

  it('refuses 64 KiB + 1 with a content-length with 413, before reading the body', async () => {
    const reply = await send('POST', '/echo', { headers: json, body: jsonOfSize(MAX_BODY_BYTES + 1) });
    expectEnvelope(reply, 413, 'payload_too_large');
  });

  it('refuses 64 KiB + 1 sent chunked (no content-length) with 413', async () => {
    const reply = await send('POST', '/echo', { headers: json, body: jsonOfSize(MAX_BODY_BYTES + 1), chunked: true });
    expectEnvelope(reply, 413, 'payload_too_large');
  });

  it('a 48 MiB chunked body is refused 413 without ever being held in memory', async () => {
    // Without a content-length nothing is refused up front; functions-framework's parser
    // would buffer up to 1 GiB. The cap is counted as bytes arrive and the rest discarded.
    const pid = proc?.child.pid;
    if (pid === undefined) throw new Error('no echo function');
    const peakKiB = (): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    const before = peakKiB();
    const size = 48 * 1024 * 1024;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', headers: json, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.write('["');
      pump();
    });
    expect(status).toBe(413);
    // Peak resident memory: buffered and parsed, the body costs about 3x its size (measured
    // here: +147 MB); discarded as it arrives, only the socket's transient read buffers
    // (+47 MB, garbage never retained, so never more than the body itself).
    expect(peakKiB() - before).toBeLessThan(80 * 1024);
    // A small chunked body still goes through.
    const small = await send('POST', '/echo', { headers: json, body: JSON.stringify({ message: 'hi' }), chunked: true });
    expect(small.status).toBe(200);
  }, 30_000);

  it('refuses a compressed body with 415 (no inflating on our side)', async () => {
    const reply = await send('POST', '/echo', {
      headers: { ...json, 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from('{"message":"hi"}')),
    });
    expectEnvelope(reply, 415, 'unsupported_media_type');
  });

  it('refuses a wrong content type with 415', async () => {
    const reply = await send('POST', '/echo', { headers: { 'content-type': 'text/plain' }, body: '{"message":"hi"}' });
    expectEnvelope(reply, 415, 'unsupported_media_type');
  });

  it('refuses an unknown field with 400 and names it', async () => {
    const reply = await send('POST', '/echo', { headers: json, body: '{"message":"hi","admin":true}' });
    expect(expectEnvelope(reply, 400, 'invalid_request')['error_description']).toBe("unknown field 'admin'");
  });

  it('accepts a form body and refuses a repeated parameter', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await send('POST', '/echo', { headers: form, body: 'message=hi+there' });
    expect(ok.status).toBe(200);
    expect(ok.json()['message']).toBe('hi there');
    const repeated = await send('POST', '/echo', { headers: form, body: 'message=a&message=b' });
    expect(expectEnvelope(repeated, 400, 'invalid_request')['error_description']).toBe("'message' is repeated");
  });

  it('answers 404 and 405 with the envelope', async () => {
    expectEnvelope(await send('GET', '/nope'), 404, 'not_found');
    expectEnvelope(await send('GET', '/echo'), 405, 'method_not_allowed');
  });

  it('answers a request target that is no valid URL path with 400 invalid_request, and keeps serving', async () => {
    // Node's HTTP parser accepts these targets; WHATWG URL parsing throws on each.
    for (const target of ['//a:99999/x', '//[::1/x', '//a%/x']) {
      expectEnvelope(await send('GET', target), 400, 'invalid_request');
    }
    // The process is still up: the same instance answers the next request.
    expect((await send('GET', '/echo?x=1', { headers: json })).status).not.toBe(0);
    expect((await send('GET', '/health')).status).toBe(200);
  });

  it('answers a handler crash with a bare 500 server_error that leaks nothing', async () => {
    const reply = await send('GET', '/boom');
    const body = expectEnvelope(reply, 500, 'server_error');
    expect(body).toEqual({ error: 'server_error', error_description: 'internal error', request_id: reply.headers['x-request-id'] });
    expect(reply.text).not.toContain('hunter2');
    expect(reply.text).not.toContain('10.9.8.7');
  });

  it('answers a dependency outage with 503 temporarily_unavailable and Retry-After', async () => {
    const reply = await send('GET', '/down');
    expectEnvelope(reply, 503, 'temporarily_unavailable');
    expect(reply.headers['retry-after']).toBe('1');
    expect(reply.text).not.toContain('kms');
  });

  it('logs one Cloud Logging JSON line per request, with the request id', async () => {
    const reply = await send('GET', '/health', { headers: { 'x-request-id': 'log-check-request-1' } });
    expect(reply.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const lines = logLines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['request_id'] === 'log-check-request-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      severity: 'INFO',
      message: 'request',
      service: 'echo',
      httpRequest: { requestMethod: 'GET', requestUrl: '/health', status: 200 },
    });
  });
});
