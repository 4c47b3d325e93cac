/**
 * The network of a client address, as adaptive MFA sees it: the /24 of an
 * IPv4 address and the /48 of an IPv6 address (the same cut as `maskIp` in
 * the logs). Pure: no `node:net`, so the domain can use it.
 *
 * It accepts a plain address (with an optional port, brackets, an IPv6 zone
 * or an IPv4-mapped IPv6 form) or an already masked network
 * (`203.0.113.0/24`, `2001:db8:0::/48`), so a step that only kept the masked
 * value (the `mfa_token` record) names the same network as the full address.
 */

/** A client network. */
export interface ClientNetwork {
  readonly family: 4 | 6;
  /** The canonical masked network: `203.0.113.0/24` or `2001:db8:0::/48`. */
  readonly prefix: string;
  /** The address to locate: the full address when known, else the network's first address. */
  readonly address: string;
}

/** The network of `ip`, or undefined when it is neither an address nor a /24 or /48 network. */
export function clientNetwork(ip: string | undefined): ClientNetwork | undefined {
  if (ip === undefined) return undefined;
  let s = ip.trim();
  const slash = /^(.+)\/(\d{1,3})$/.exec(s);
  const bits = slash === null ? undefined : Number(slash[2]);
  if (slash !== null) s = slash[1] as string;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed !== null) s = bracketed[1] as string;
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(s);
  if (v4port !== null) s = v4port[1] as string;
  s = s.replace(/%[\w.-]+$/, '');

  const v4 = ipv4(s) ?? mappedIpv4(s);
  if (v4 !== undefined) {
    if (bits !== undefined && bits !== 24) return undefined;
    const prefix = `${v4[0]}.${v4[1]}.${v4[2]}.0/24`;
    return { family: 4, prefix, address: bits === undefined ? v4.join('.') : `${v4[0]}.${v4[1]}.${v4[2]}.0` };
  }
  const v6 = ipv6(s);
  if (v6 === undefined || (bits !== undefined && bits !== 48)) return undefined;
  const head = v6.slice(0, 3).map((g) => g.toString(16));
  return {
    family: 6,
    prefix: `${head.join(':')}::/48`,
    address: bits === undefined ? v6.map((g) => g.toString(16)).join(':') : `${head.join(':')}::`,
  };
}

function ipv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // No leading zeros: `010` is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function mappedIpv4(s: string): number[] | undefined {
  const g = ipv6(s);
  // Only ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) is an IPv4 address in IPv6 clothing.
  if (g === undefined || g.slice(0, 5).some((x) => x !== 0) || g[5] !== 0xffff) return undefined;
  const [hi = 0, lo = 0] = g.slice(6);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
}

/** The eight 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms), or undefined. */
function ipv6(s: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return undefined;
  let text = s;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted !== null) {
    const v4 = ipv4(dotted[2] as string);
    if (v4 === undefined) return undefined;
    tail.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    text = (dotted[1] as string).endsWith('::') ? (dotted[1] as string) : (dotted[1] as string).slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = parse(halves[0] as string);
  const right = halves.length === 2 ? parse(halves[1] as string) : [];
  if (left === undefined || right === undefined) return undefined;
  const explicit = left.length + right.length + tail.length;
  if (halves.length === 1) return explicit === 8 ? [...left, ...tail] : undefined;
  // `::` stands for at least one group of zeros.
  if (explicit > 7) return undefined;
  return [...left, ...new Array<number>(8 - explicit).fill(0), ...right, ...tail];
}
