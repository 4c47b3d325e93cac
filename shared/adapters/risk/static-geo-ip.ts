/**
 * `GeoIp` from a static table in the configuration (`IAM_RISK_GEOIP`):
 * `<cidr>=<lat>,<lon>` entries separated by `;` or new lines, e.g.
 * `203.0.113.0/24=48.86,2.35;2001:db8::/32=35.68,139.69`. The most specific
 * network wins. An address in no entry has no location, so the travel rule
 * does not apply to it. A GeoIP database adapter (MaxMind, a cloud API) can
 * replace it behind the same port.
 */
import type { GeoIp, GeoPoint } from '../../domain/ports.ts';
import { parseCidrSet, plainAddress, type CidrSet } from '../../http/client-ip.ts';

/** One table entry. */
export interface GeoEntry {
  readonly cidr: string;
  readonly lat: number;
  readonly lon: number;
}

/** Parses the table; throws on a malformed entry. */
export function parseGeoTable(spec: string): readonly GeoEntry[] {
  const out: GeoEntry[] = [];
  for (const raw of spec.split(/[;\n]/)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^([0-9a-fA-F:.]+(?:\/\d{1,3})?)\s*=\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)$/.exec(entry);
    const lat = Number(m?.[2]);
    const lon = Number(m?.[3]);
    if (m === null || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) throw new Error(`not a GeoIP entry (cidr=lat,lon): '${entry.slice(0, 80)}'`);
    parseCidrSet(m[1] as string); // throws on a bad CIDR
    out.push({ cidr: m[1] as string, lat, lon });
  }
  return out;
}

/** A `GeoIp` over a static table. */
export function createStaticGeoIp(entries: readonly GeoEntry[]): GeoIp {
  const bits = (cidr: string): number => Number(cidr.split('/')[1] ?? (cidr.includes(':') ? 128 : 32));
  const table: { readonly set: CidrSet; readonly point: GeoPoint }[] = [...entries]
    .sort((a, b) => bits(b.cidr) - bits(a.cidr))
    .map((e) => ({ set: parseCidrSet(e.cidr), point: { lat: e.lat, lon: e.lon } }));
  return {
    async locate(address) {
      const plain = plainAddress(address);
      if (plain === undefined) return undefined;
      return table.find((t) => t.set.contains(plain))?.point;
    },
  };
}
