import { describe, expect, it } from 'vitest';
import { maskIp } from '../../../log.ts';
import { clientNetwork } from './network.ts';

describe('clientNetwork', () => {
  it('cuts IPv4 to its /24 and keeps the full address for GeoIP', () => {
    expect(clientNetwork('203.0.113.9')).toEqual({ family: 4, prefix: '203.0.113.0/24', address: '203.0.113.9' });
    expect(clientNetwork('203.0.113.9:4431')).toEqual({ family: 4, prefix: '203.0.113.0/24', address: '203.0.113.9' });
    expect(clientNetwork('::ffff:203.0.113.9')).toEqual({ family: 4, prefix: '203.0.113.0/24', address: '203.0.113.9' });
    expect(clientNetwork('::ffff:cb00:7109')).toEqual({ family: 4, prefix: '203.0.113.0/24', address: '203.0.113.9' });
  });

  it('cuts IPv6 to its /48 in canonical form (RFC 4291 §2.2 text forms)', () => {
    expect(clientNetwork('2001:db8::1')).toEqual({ family: 6, prefix: '2001:db8:0::/48', address: '2001:db8:0:0:0:0:0:1' });
    expect(clientNetwork('2001:0DB8:0000:0001:0000:0000:0000:0005')?.prefix).toBe('2001:db8:0::/48');
    expect(clientNetwork('[2001:db8:aa:1::5]:443')?.prefix).toBe('2001:db8:aa::/48');
    expect(clientNetwork('fe80::1%eth0')?.prefix).toBe('fe80:0:0::/48');
    expect(clientNetwork('::1')?.prefix).toBe('0:0:0::/48');
    expect(clientNetwork('64:ff9b::192.0.2.33')?.prefix).toBe('64:ff9b:0::/48');
  });

  it('puts addresses of one /24 or /48 in one network, and neighbours in others', () => {
    expect(clientNetwork('203.0.113.200')?.prefix).toBe(clientNetwork('203.0.113.1')?.prefix);
    expect(clientNetwork('203.0.114.1')?.prefix).not.toBe(clientNetwork('203.0.113.1')?.prefix);
    expect(clientNetwork('2001:db8:0:ffff::2')?.prefix).toBe(clientNetwork('2001:db8:0:1::1')?.prefix);
    expect(clientNetwork('2001:db8:1::1')?.prefix).not.toBe(clientNetwork('2001:db8::1')?.prefix);
  });

  it('reads a masked value (as kept in an mfa_token record) as the same network as the full address', () => {
    for (const ip of ['203.0.113.9', '198.51.100.250', '2001:db8::1', '2001:db8:aa:bb::1', '2001:DB8:AA::5', '::ffff:192.0.2.1']) {
      const masked = clientNetwork(maskIp(ip));
      expect(masked?.prefix, ip).toBe(clientNetwork(ip)?.prefix);
    }
    expect(clientNetwork('203.0.113.0/24')).toEqual({ family: 4, prefix: '203.0.113.0/24', address: '203.0.113.0' });
    expect(clientNetwork('2001:db8:0::/48')).toEqual({ family: 6, prefix: '2001:db8:0::/48', address: '2001:db8:0::' });
  });

  it('refuses what is not an address or a /24 or /48', () => {
    for (const bad of [undefined, '', 'unknown', '[masked]', '999.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', '203.0.113.0/16', '2001:db8::/32', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '12345::', 'example.com']) {
      expect(clientNetwork(bad), String(bad)).toBeUndefined();
    }
  });
});
