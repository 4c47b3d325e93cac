import { describe, expect, it } from 'vitest';
import { createStaticGeoIp, parseGeoTable } from './static-geo-ip.ts';

describe('static GeoIP', () => {
  it('parses cidr=lat,lon entries separated by ; or new lines', () => {
    expect(parseGeoTable(' 203.0.113.0/24=48.86,2.35 ;\n2001:db8::/32 = -33.87 , 151.21\n\n198.51.100.7=1,-2')).toEqual([
      { cidr: '203.0.113.0/24', lat: 48.86, lon: 2.35 },
      { cidr: '2001:db8::/32', lat: -33.87, lon: 151.21 },
      { cidr: '198.51.100.7', lat: 1, lon: -2 },
    ]);
    expect(parseGeoTable('')).toEqual([]);
  });

  it('refuses malformed entries', () => {
    for (const bad of ['203.0.113.0/24', '203.0.113.0/24=91,0', '203.0.113.0/24=0,181', 'nope=1,2', '203.0.113.0/33=1,2', '203.0.113.0/24=1;2']) {
      expect(() => parseGeoTable(bad), bad).toThrow();
    }
  });

  it('locates IPv4 and IPv6 addresses, the most specific network winning; unknown is undefined', async () => {
    const geo = createStaticGeoIp(parseGeoTable('203.0.0.0/16=10,10;203.0.113.0/24=48.86,2.35;2001:db8::/32=35.68,139.69'));
    expect(await geo.locate('203.0.113.9')).toEqual({ lat: 48.86, lon: 2.35 });
    expect(await geo.locate('203.0.7.1')).toEqual({ lat: 10, lon: 10 });
    expect(await geo.locate('::ffff:203.0.113.9')).toEqual({ lat: 48.86, lon: 2.35 });
    expect(await geo.locate('2001:db8:0:1::9')).toEqual({ lat: 35.68, lon: 139.69 });
    expect(await geo.locate('192.0.2.1')).toBeUndefined();
    expect(await geo.locate('not an ip')).toBeUndefined();
  });
});
