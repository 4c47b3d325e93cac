/**
 * The `IpReputation` port from two static CIDR lists in the configuration
 * (`IAM_IP_DENYLIST`, `IAM_IP_ALLOWLIST`). A feed-backed adapter (a threat
 * intelligence list, Cloud Armor's) can replace it behind the same port.
 * `bad` wins over `good` when both lists hold an address.
 */
import type { IpReputation } from '../../domain/ports.ts';
import { parseCidrSet, plainAddress } from '../../http/client-ip.ts';

/** The lists, as CIDRs (`203.0.113.0/24`, `2001:db8::/32`, or a bare address). */
export interface StaticIpLists {
  readonly bad: readonly string[];
  readonly good: readonly string[];
}

/** An `IpReputation` over static lists. Throws at construction on a malformed CIDR. */
export function createStaticIpReputation(lists: StaticIpLists): IpReputation {
  const bad = parseCidrSet(lists.bad.join(','));
  const good = parseCidrSet(lists.good.join(','));
  return {
    async reputationOf(ip) {
      const address = plainAddress(ip);
      if (address === undefined) return 'unknown';
      if (bad.contains(address)) return 'bad';
      return good.contains(address) ? 'good' : 'unknown';
    },
  };
}
