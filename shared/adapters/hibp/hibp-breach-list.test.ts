import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../log.ts';
import { type HibpRangeServer, startHibpRangeServer } from '../../testing/hibp-range-server.ts';
import { CONTRACT_PASSWORDS, breachListContract } from './breach-list-contract.ts';
import { createHibpBreachList } from './hibp-breach-list.ts';
import { parseRange, rangeKey } from './range-format.ts';

const BREACHED = 'P@ssw0rd';
const CLEAN = 'a long and unremarkable passphrase 7f3a';
/** Served only as a count-0 padding entry: must read as clean. */
const PADDING_ONLY = 'only ever seen as padding';

let server: HibpRangeServer;
let lines: string[];

function adapter(extra: { timeoutMs?: number; baseUrl?: string } = {}) {
  lines = [];
  return createHibpBreachList({
    baseUrl: extra.baseUrl ?? server.url,
    userAgent: 'melmastoon-iam-service-test',
    log: createLogger({ service: 'test', write: (l) => lines.push(l) }),
    ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
  });
}

function sha1(s: string): string {
  return createHash('sha1').update(s, 'utf8').digest('hex').toUpperCase();
}

beforeAll(async () => {
  server = await startHibpRangeServer({ passwords: { ...CONTRACT_PASSWORDS, [BREACHED]: 52_256, [PADDING_ONLY]: 0 }, paddingEntries: 300 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.setMode('ok');
  server.requests.length = 0;
});

breachListContract('HIBP range adapter over the loopback range server', () => adapter());

describe('HIBP range adapter', () => {
  it('answers breached for a password in the range, and counts it', async () => {
    const hibp = adapter();
    expect(await hibp.check(BREACHED)).toBe('breached');
    expect(hibp.metrics.snapshot()).toMatchObject({ checks: 1, breached: 1, clean: 0, fail_open: 0 });
  });

  it('answers clean for a password not in the range', async () => {
    const hibp = adapter();
    expect(await hibp.check(CLEAN)).toBe('clean');
    expect(hibp.metrics.snapshot()).toMatchObject({ checks: 1, clean: 1 });
  });

  it('ignores padding: a suffix served with count 0 is clean', async () => {
    const hibp = adapter();
    expect(await hibp.check(PADDING_ONLY)).toBe('clean');
    // The server did serve the count-0 line for it, so the adapter really skipped it.
    const body = await (await fetch(`${server.url}/range/${sha1(PADDING_ONLY).slice(0, 5)}`, { headers: { 'Add-Padding': 'true' } })).text();
    expect(body).toContain(`${sha1(PADDING_ONLY).slice(5)}:0`);
  });

  it('sends only the 5-character prefix, with Add-Padding and a User-Agent, and nothing else of the password', async () => {
    const hibp = adapter();
    await hibp.check(BREACHED);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    if (req === undefined) throw new Error('no request');
    const hex = sha1(BREACHED);
    expect(req.method).toBe('GET');
    expect(req.url).toBe(`/range/${hex.slice(0, 5)}`);
    expect(req.body).toBe('');
    expect(req.headers['add-padding']).toBe('true');
    expect(req.headers['user-agent']).toBe('melmastoon-iam-service-test');
    const everything = JSON.stringify(req).toUpperCase();
    expect(everything).not.toContain(hex.slice(5));
    expect(everything).not.toContain(hex.slice(5, 15));
    expect(everything).not.toContain(BREACHED.toUpperCase());
  });

  it('fails open within ~1.5 s when the provider hangs: unknown, a warning, a counter', async () => {
    server.setMode('hang');
    const hibp = adapter();
    const t = performance.now();
    expect(await hibp.check(BREACHED)).toBe('unknown');
    const elapsed = performance.now() - t;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(2500);
    expect(hibp.metrics.snapshot()).toMatchObject({ checks: 1, fail_open: 1, fail_open_by_reason: { timeout: 1 } });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ severity: 'WARNING', message: 'breach check failed open', reason: 'timeout', provider: 'hibp' });
  });

  it('times out on a slow body too, with a shorter configured timeout', async () => {
    server.setMode('slow');
    const hibp = adapter({ timeoutMs: 200 });
    const t = performance.now();
    expect(await hibp.check(BREACHED)).toBe('unknown');
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('fails open on 503 with the status logged and counted', async () => {
    server.setMode('503');
    const hibp = adapter();
    expect(await hibp.check(BREACHED)).toBe('unknown');
    expect(hibp.metrics.snapshot()).toMatchObject({ fail_open: 1, fail_open_by_reason: { http_status: 1 } });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ reason: 'http_status', status: 503 });
  });

  it('fails open on a body that is not a range (never reads garbage as clean)', async () => {
    server.setMode('garbage');
    const hibp = adapter();
    expect(await hibp.check(CLEAN)).toBe('unknown');
    expect(hibp.metrics.snapshot().fail_open_by_reason.bad_response).toBe(1);
  });

  it('fails open on a refused connection', async () => {
    const closed = await startHibpRangeServer();
    await closed.close();
    const hibp = adapter({ baseUrl: closed.url });
    expect(await hibp.check(BREACHED)).toBe('unknown');
    expect(hibp.metrics.snapshot().fail_open_by_reason.network).toBe(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ reason: 'network', error: 'ECONNREFUSED' });
  });

  it('increments the counters across calls', async () => {
    const hibp = adapter();
    await hibp.check(BREACHED);
    await hibp.check(CLEAN);
    server.setMode('503');
    await hibp.check(CLEAN);
    await hibp.check(CLEAN);
    expect(hibp.metrics.snapshot()).toEqual({
      checks: 4,
      breached: 1,
      clean: 1,
      fail_open: 2,
      fail_open_by_reason: { timeout: 0, http_status: 2, network: 0, bad_response: 0, local_source: 0 },
    });
  });

  it('never logs the password, its hash or its prefix', async () => {
    server.setMode('503');
    const hibp = adapter();
    await hibp.check(BREACHED);
    const hex = sha1(BREACHED);
    const all = lines.join('\n');
    expect(all).not.toContain(BREACHED);
    expect(all.toUpperCase()).not.toContain(hex.slice(0, 5));
    expect(all.toUpperCase()).not.toContain(hex.slice(5, 15));
  });

  it('refuses a timeout above 1.5 s and an empty user agent', () => {
    const log = createLogger({ service: 'test', write: () => undefined });
    expect(() => createHibpBreachList({ userAgent: 'x', timeoutMs: 1501, log })).toThrow(/timeout/);
    expect(() => createHibpBreachList({ userAgent: ' ', log })).toThrow(/user agent/);
  });
});

describe('range format', () => {
  it('splits the SHA-1 of "password" (5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8) into prefix and suffix', () => {
    expect(rangeKey('password')).toEqual({ prefix: '5BAA6', suffix: '1E4C9B93F3F0682250B6CF8331B7EE68FD8' });
  });

  it('parses CRLF lines, drops count-0 padding and refuses a malformed line', () => {
    const body = '1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n0018A45C4D1DEF81644B54AB7F969B88D65:0\r\n';
    expect(parseRange(body)).toEqual(new Map([['1E4C9B93F3F0682250B6CF8331B7EE68FD8', 10434004]]));
    expect(parseRange('1E4C9B93F3F0682250B6CF8331B7EE68FD8:1\r\nnonsense')).toBeUndefined();
    expect(parseRange('1E4C9B93F3F0682250B6CF8331B7EE68FD:1')).toBeUndefined();
    expect(parseRange('')).toEqual(new Map());
  });
});
