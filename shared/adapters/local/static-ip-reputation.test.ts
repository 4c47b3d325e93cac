import { describe, expect, it } from 'vitest';
import { createStaticIpReputation } from './static-ip-reputation.ts';

describe('createStaticIpReputation', () => {
  const rep = createStaticIpReputation({ bad: ['203.0.113.0/24', '2001:db8:bad::/48'], good: ['198.51.100.7', '203.0.113.9'] });

  it('bad inside a deny network, good on the allow list, unknown elsewhere', async () => {
    expect(await rep.reputationOf('203.0.113.200')).toBe('bad');
    expect(await rep.reputationOf('2001:db8:bad:1::9')).toBe('bad');
    expect(await rep.reputationOf('198.51.100.7')).toBe('good');
    expect(await rep.reputationOf('198.51.100.8')).toBe('unknown');
    expect(await rep.reputationOf('2001:db8:900d::1')).toBe('unknown');
  });

  it('bad wins over good', async () => {
    expect(await rep.reputationOf('203.0.113.9')).toBe('bad');
  });

  it('reads IPv4-mapped IPv6 as IPv4, and never calls garbage bad or good', async () => {
    expect(await rep.reputationOf('::ffff:203.0.113.1')).toBe('bad');
    expect(await rep.reputationOf('not-an-ip')).toBe('unknown');
  });

  it('empty lists: everything unknown', async () => {
    expect(await createStaticIpReputation({ bad: [], good: [] }).reputationOf('203.0.113.1')).toBe('unknown');
  });

  it('refuses a malformed list at construction', () => {
    expect(() => createStaticIpReputation({ bad: ['203.0.113.0/99'], good: [] })).toThrow(/not a CIDR/);
  });
});
