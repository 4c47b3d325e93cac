import { describe, expect, it } from 'vitest';
import { clientIp, parseTrustedProxies, plainAddress } from './client-ip.ts';

const edgeOnly = parseTrustedProxies('127.0.0.1/32,::1/128');
const req = (remoteAddress: string | undefined, xff?: string) => ({
  remoteAddress,
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

describe('parseTrustedProxies', () => {
  it('parses IPv4 and IPv6 CIDRs and bare hosts', () => {
    const t = parseTrustedProxies(' 10.0.0.0/8, 35.191.0.0/16 ,2001:db8::/32,192.0.2.7');
    expect(t.cidrs).toEqual(['10.0.0.0/8', '35.191.0.0/16', '2001:db8::/32', '192.0.2.7/32']);
    expect(t.contains('10.255.1.2')).toBe(true);
    expect(t.contains('35.191.200.1')).toBe(true);
    expect(t.contains('35.192.0.1')).toBe(false);
    expect(t.contains('2001:db8:1::5')).toBe(true);
    expect(t.contains('2001:db9::5')).toBe(false);
    expect(t.contains('192.0.2.7')).toBe(true);
    expect(t.contains('192.0.2.8')).toBe(false);
    expect(t.contains('not-an-ip')).toBe(false);
  });

  it('an empty list trusts nobody', () => {
    const t = parseTrustedProxies('');
    expect(t.cidrs).toEqual([]);
    expect(t.contains('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', '::/129', '10.0.0/8', 'example.com', '10.0.0.0/8/1', '10.0.0.0/', '10.0.0.0/-1', '1.2.3.4/x'])(
    'refuses %s',
    (bad) => {
      expect(() => parseTrustedProxies(bad)).toThrow(/not a CIDR/);
    },
  );
});

describe('plainAddress', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    [' 203.0.113.9 ', '203.0.113.9'],
    ['203.0.113.9:4711', '203.0.113.9'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['[2001:DB8::1]:443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
  ])('%s -> %s', (hop, plain) => {
    expect(plainAddress(hop)).toBe(plain);
  });

  it.each(['', 'unknown', '999.1.1.1', '1.2.3', 'evil.example', '<script>', '1.2.3.4:99999'])('%s is not an address', (hop) => {
    expect(plainAddress(hop)).toBeUndefined();
  });
});

describe('clientIp', () => {
  it('behind the edge: the address the edge saw (edge appends peer and itself, as the load balancer does)', () => {
    expect(clientIp(req('127.0.0.1', '127.0.0.2,127.0.0.1'), edgeOnly)).toBe('127.0.0.2');
    expect(clientIp(req('::ffff:127.0.0.1', '198.51.100.4,127.0.0.1'), edgeOnly)).toBe('198.51.100.4');
  });

  it('ignores what a client wrote into X-Forwarded-For before the edge', () => {
    // The client sent "X-Forwarded-For: 203.0.113.9"; the edge appended its peer and itself.
    expect(clientIp(req('127.0.0.1', '203.0.113.9,127.0.0.2,127.0.0.1'), edgeOnly)).toBe('127.0.0.2');
    expect(clientIp(req('127.0.0.1', '203.0.113.9, 10.0.0.1 ,127.0.0.2,127.0.0.1'), edgeOnly)).toBe('127.0.0.2');
  });

  it('a spoofed X-Forwarded-For from an untrusted peer is ignored: the peer is the client', () => {
    expect(clientIp(req('198.51.100.23', '127.0.0.1'), edgeOnly)).toBe('198.51.100.23');
    expect(clientIp(req('198.51.100.23', '203.0.113.9,127.0.0.1'), edgeOnly)).toBe('198.51.100.23');
    expect(clientIp(req('::ffff:198.51.100.23', '203.0.113.9'), edgeOnly)).toBe('198.51.100.23');
  });

  it('skips every trusted hop (a chain of proxies)', () => {
    const t = parseTrustedProxies('127.0.0.1/32,35.191.0.0/16,10.0.0.0/8');
    expect(clientIp(req('10.1.2.3', '203.0.113.9,198.51.100.7,35.191.4.4'), t)).toBe('198.51.100.7');
  });

  it('with only trusted hops, the leftmost one (our own infrastructure calling)', () => {
    expect(clientIp(req('127.0.0.1'), edgeOnly)).toBe('127.0.0.1');
    expect(clientIp(req('127.0.0.1', '::1, 127.0.0.1'), edgeOnly)).toBe('::1');
  });

  it('garbage right of the untrusted hops yields the nearest trusted address, never the garbage', () => {
    expect(clientIp(req('127.0.0.1', '203.0.113.9,not-an-ip,127.0.0.1'), edgeOnly)).toBe('127.0.0.1');
  });

  it('IPv6 clients', () => {
    expect(clientIp(req('127.0.0.1', '2001:DB8::7,127.0.0.1'), edgeOnly)).toBe('2001:db8::7');
  });

  it('no peer address: undefined', () => {
    expect(clientIp(req(undefined, '203.0.113.9'), edgeOnly)).toBeUndefined();
    expect(clientIp(req('garbage'), edgeOnly)).toBeUndefined();
  });

  it('looks at most 32 forwarded hops', () => {
    const t = parseTrustedProxies('10.0.0.0/8');
    const many = Array.from({ length: 40 }, (_, i) => `10.0.0.${i}`).join(',');
    expect(clientIp(req('10.9.9.9', `203.0.113.9,${many}`), t)).toBe('10.0.0.8');
  });
});
