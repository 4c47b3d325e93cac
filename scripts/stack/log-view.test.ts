import { describe, expect, it } from 'vitest';
import { compactLogLine, deduper } from './log-view.ts';

describe('compactLogLine', () => {
  it('shortens a request log line', () => {
    const line = JSON.stringify({ severity: 'INFO', message: 'request', httpRequest: { requestMethod: 'GET', requestUrl: '/.well-known/jwks.json', status: 200, latency: '0.0100s' } });
    expect(compactLogLine('token', line)).toBe(`${'token'.padEnd(18)}| GET /.well-known/jwks.json 200 0.0100s`);
  });

  it('hides successful scheduler calls, DEBUG lines, the framework banner and stack frames', () => {
    const job = JSON.stringify({ severity: 'INFO', message: 'request', httpRequest: { requestMethod: 'POST', requestUrl: '/jobs/outbox-relay', status: 200 } });
    expect(compactLogLine('jobs', job)).toBeUndefined();
    expect(compactLogLine('jobs', JSON.stringify({ severity: 'DEBUG', message: 'x' }))).toBeUndefined();
    expect(compactLogLine('jobs', 'Serving function...')).toBeUndefined();
    expect(compactLogLine('jobs', '    at foo (/x.js:1:1)')).toBeUndefined();
  });

  it('keeps failing scheduler calls and warnings with their code', () => {
    const job = JSON.stringify({ severity: 'INFO', message: 'request', httpRequest: { requestMethod: 'POST', requestUrl: '/jobs/outbox-relay', status: 500 } });
    expect(compactLogLine('jobs', job)).toContain('POST /jobs/outbox-relay 500');
    expect(compactLogLine('tenant-events', JSON.stringify({ severity: 'WARNING', message: 'tenant event refused', error: 'invalid_event' }))).toContain(
      'WARNING tenant event refused error=invalid_event',
    );
  });

  it('passes plain text through with the prefix', () => {
    expect(compactLogLine('token', 'Error: boom')).toBe(`${'token'.padEnd(18)}| Error: boom`);
  });
});

describe('deduper', () => {
  it('drops a repeat of the same line from the same source within the window', () => {
    let t = 0;
    const fresh = deduper(1000, () => t);
    expect(fresh('a', 'x')).toBe('x');
    expect(fresh('b', 'x')).toBe('x');
    t = 500;
    expect(fresh('a', 'x')).toBeUndefined();
    t = 2000;
    expect(fresh('a', 'x')).toBe('x');
  });
});
