import { describe, expect, it } from 'vitest';
import { createLogger, maskIp, redact, silentLogger, type Severity } from './log.ts';

function capture(level?: Severity) {
  const lines: string[] = [];
  const log = createLogger({ service: 'token', ...(level ? { level } : {}), write: (l) => lines.push(l) });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, log, parsed };
}

describe('redact: secrets never reach a log line', () => {
  it.each([
    'password',
    'new_password',
    'currentPassword',
    'passphrase',
    'client_secret',
    'secret',
    'access_token',
    'refresh_token',
    'refreshToken',
    'mfa_token',
    'id_token',
    'authorization',
    'Authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'otp',
    'totp_otp',
    'code',
    'recovery_codes',
    'csr',
    'private_key',
    'privateKey',
    'pepper',
    'credential',
    'credentials',
    'jwt',
    'assertion',
    'signature',
    'password_hash',
    'pem',
    'd',
    'api_key',
    'apiKey',
    'x-api-key',
    'hibp-api-key',
  ])('redacts the value of %s', (key) => {
    expect(redact({ [key]: 'hunter2' })).toEqual({ [key]: '[redacted]' });
  });

  it('redacts objects and arrays held under a secret key, whole', () => {
    expect(redact({ tokens: ['a', 'b'], credentials: { user: 'u', pass: 'p' } })).toEqual({
      tokens: '[redacted]',
      credentials: '[redacted]',
    });
  });

  it('redacts at any depth, inside objects and arrays', () => {
    const input = {
      request: { body: { user: { email_verified: true, password: 'hunter2' } } },
      attempts: [{ at: 't1', otp: '123456' }, { at: 't2', headers: { authorization: 'Bearer eyJ.x.y' } }],
    };
    const out = redact(input);
    expect(out).toEqual({
      request: { body: { user: { email_verified: true, password: '[redacted]' } } },
      attempts: [{ at: 't1', otp: '[redacted]' }, { at: 't2', headers: { authorization: '[redacted]' } }],
    });
    expect(JSON.stringify(out)).not.toMatch(/hunter2|123456|eyJ/);
  });

  it('cuts very deep structures off instead of walking them (and leaks nothing below)', () => {
    let deep: Record<string, unknown> = { password: 'hunter2' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const text = JSON.stringify(redact(deep));
    expect(text).toContain('[deep]');
    expect(text).not.toContain('hunter2');
  });

  it('survives a cycle', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    expect(() => JSON.stringify(redact(a))).not.toThrow();
  });

  it('keeps ordinary fields and non-string values', () => {
    expect(redact({ tenant_id: 't1', user_id: 'u1', count: 3, ok: true, nothing: null, session_id: 's1' })).toEqual({
      tenant_id: 't1',
      user_id: 'u1',
      count: 3,
      ok: true,
      nothing: null,
      session_id: 's1',
    });
  });

  it('does not mutate its input', () => {
    const input = { password: 'p', nested: { token: 't' } };
    redact(input);
    expect(input).toEqual({ password: 'p', nested: { token: 't' } });
  });
});

describe('maskIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['10.1.2.3', '10.1.2.0/24'],
    ['::ffff:198.51.100.9', '198.51.100.0/24'],
    ['203.0.113.77:51234', '203.0.113.0/24'],
    ['2001:db8:abcd:12:34:56:78:9a', '2001:db8:abcd::/48'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:0db8:85a3::/48'],
    ['2001:db8:abcd::1', '2001:db8:abcd::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['::1', '0:0:0::/48'],
  ])('masks %s to %s', (ip, masked) => {
    expect(maskIp(ip)).toBe(masked);
  });

  it.each(['not an ip', '203.0.113.77, 198.51.100.1', '[2001:db8:abcd:12::1]:443', '2001:db8::1%eth0', ''])(
    'masks %j whole rather than guessing',
    (value) => {
      expect(maskIp(value)).toBe('[masked]');
    },
  );

  it('masks fields that hold an IP, at any depth', () => {
    const out = redact({
      ip: '203.0.113.77',
      client_ip: '2001:db8:abcd:12::5',
      ip_address: '198.51.100.200',
      'x-forwarded-for': '203.0.113.77, 10.0.0.1',
      request: { remote_ip: '192.0.2.44' },
    });
    expect(out).toEqual({
      ip: '203.0.113.0/24',
      client_ip: '2001:db8:abcd::/48',
      ip_address: '198.51.100.0/24',
      'x-forwarded-for': '[masked]',
      request: { remote_ip: '192.0.2.0/24' },
    });
  });

  it('leaves fields that merely contain the letters ip alone', () => {
    expect(redact({ zip: '12345', recipient: 'r', ipsum: 'x' })).toEqual({ zip: '12345', recipient: 'r', ipsum: 'x' });
  });
});

describe('createLogger: Cloud Logging JSON lines', () => {
  it('writes one JSON line with severity, message, time and service', () => {
    const { lines, log, parsed } = capture();
    log.info('login ok', { tenant_id: 't1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [line] = parsed();
    expect(line).toMatchObject({ severity: 'INFO', message: 'login ok', service: 'token', tenant_id: 't1' });
    expect(Date.parse(String(line?.['time']))).not.toBeNaN();
  });

  it('maps each method to its Cloud Logging severity', () => {
    const { log, parsed } = capture('DEBUG');
    log.debug('d');
    log.info('i');
    log.notice('n');
    log.warn('w');
    log.error('e');
    log.critical('c');
    expect(parsed().map((l) => l['severity'])).toEqual(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL']);
  });

  it('drops lines under the level (INFO by default)', () => {
    const info = capture();
    info.log.debug('hidden');
    expect(info.lines).toHaveLength(0);
    const warn = capture('WARNING');
    warn.log.info('hidden');
    warn.log.notice('hidden');
    warn.log.warn('shown');
    expect(warn.parsed().map((l) => l['message'])).toEqual(['shown']);
  });

  it('carries child fields, including the trace field, on every line', () => {
    const { log, parsed } = capture();
    const child = log.child({ request_id: 'r1', 'logging.googleapis.com/trace': 'projects/p/traces/abc' });
    child.info('one');
    child.child({ user_id: 'u1' }).warn('two', { request_id: 'r1-override' });
    expect(parsed()).toMatchObject([
      { message: 'one', request_id: 'r1', 'logging.googleapis.com/trace': 'projects/p/traces/abc' },
      { message: 'two', request_id: 'r1-override', user_id: 'u1', 'logging.googleapis.com/trace': 'projects/p/traces/abc' },
    ]);
  });

  it('redacts secrets and masks IPs in fields and child fields', () => {
    const { lines, log } = capture();
    log.child({ authorization: 'Bearer eyJhbGciOi.x.y', client_ip: '203.0.113.77' }).warn('login failed', {
      attempt: { password: 'hunter2', email: 'a@example.com' },
    });
    expect(lines[0]).not.toMatch(/eyJhbGciOi|hunter2|203\.0\.113\.77/);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      authorization: '[redacted]',
      client_ip: '203.0.113.0/24',
      attempt: { password: '[redacted]' },
    });
  });

  it('does not let a field overwrite severity, message or service', () => {
    const { log, parsed } = capture();
    log.error('real', { severity: 'DEBUG', message: 'spoofed', service: 'other' });
    expect(parsed()[0]).toMatchObject({ severity: 'ERROR', message: 'real', service: 'token' });
  });

  it('silentLogger writes nothing and does not throw', () => {
    expect(() => silentLogger.child({ a: 1 }).critical('x', { password: 'p' })).not.toThrow();
  });
});
