/**
 * The client's IP address behind proxies (risk R-09: lockout counts per client IP).
 *
 * Google's load balancer appends `<client-ip>,<lb-ip>` to whatever
 * `X-Forwarded-For` the client sent; the local edge does the same. Anything
 * left of the hops our own proxies appended was written by the client and is
 * worthless. So the chain (`X-Forwarded-For` entries, then the TCP peer) is
 * walked from the RIGHT, skipping addresses of trusted proxies
 * (`IAM_TRUSTED_PROXIES`); the first untrusted address is the client. A peer
 * that is not a trusted proxy is itself the client, and its header is ignored.
 */
import net from 'node:net';
import type { HttpRequest } from './types.ts';

/** A set of networks (trusted proxies, or a reputation list). */
export interface CidrSet {
  /** True when `ip` (a plain IPv4 or IPv6 address) lies in one of the networks. */
  contains(ip: string): boolean;
  /** The networks, as `address/prefix`. */
  readonly cidrs: readonly string[];
}

/** The networks of the proxies whose `X-Forwarded-For` hops are trusted. */
export type TrustedProxies = CidrSet;

/** The most `X-Forwarded-For` entries looked at (a longer header is cut on the left). */
export const MAX_FORWARDED_HOPS = 32;

/**
 * Parses a comma-separated CIDR list (`127.0.0.1/32,::1/128,35.191.0.0/16`).
 * A bare address means a single host. Throws on anything malformed.
 */
export function parseTrustedProxies(spec: string): TrustedProxies {
  return parseCidrSet(spec);
}

/** Parses a comma-separated CIDR list, as {@link parseTrustedProxies}. */
export function parseCidrSet(spec: string): CidrSet {
  const list = new net.BlockList();
  const cidrs: string[] = [];
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address = '', prefixText, extra] = entry.split('/');
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (family === undefined || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new Error(`not a CIDR: '${entry.slice(0, 60)}'`);
    }
    list.addSubnet(address, prefix, family);
    cidrs.push(`${address}/${prefix}`);
  }
  return {
    cidrs,
    contains(ip) {
      const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : undefined;
      return family !== undefined && list.check(ip, family);
    },
  };
}

/**
 * A plain address from one hop: drops an IPv4 `:port`, IPv6 brackets and
 * port, and unwraps IPv4-mapped IPv6 (`::ffff:127.0.0.1`, as Node reports
 * IPv4 peers on a dual-stack socket). Undefined when it is not an address.
 */
export function plainAddress(hop: string): string | undefined {
  let s = hop.trim();
  const withPort = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([\d.]+):(\d{1,5})$/.exec(s);
  if (withPort !== null) {
    if (Number(withPort[2] ?? '0') > 65_535) return undefined;
    s = withPort[1] as string;
  }
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s);
  if (mapped !== null) s = mapped[1] as string;
  if (net.isIPv4(s)) return s;
  if (net.isIPv6(s)) return s.toLowerCase();
  return undefined;
}

/**
 * The client IP of `req`, or undefined when the request has no peer address
 * (requests built by hand in tests).
 */
export function clientIp(req: Pick<HttpRequest, 'headers' | 'remoteAddress'>, trusted: TrustedProxies): string | undefined {
  const peer = req.remoteAddress === undefined ? undefined : plainAddress(req.remoteAddress);
  if (peer === undefined) return undefined;
  if (!trusted.contains(peer)) return peer;
  const forwarded = (req.headers['x-forwarded-for'] ?? '').split(',').slice(-MAX_FORWARDED_HOPS);
  let nearest = peer;
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const entry = forwarded[i] as string;
    if (entry.trim() === '') continue;
    const hop = plainAddress(entry);
    // A trusted proxy never writes garbage: whatever is left of it came from the
    // client, so the nearest address we can vouch for is the answer.
    if (hop === undefined) return nearest;
    if (!trusted.contains(hop)) return hop;
    nearest = hop;
  }
  // Every hop is a trusted proxy: the request came from our own infrastructure.
  return nearest;
}
