/**
 * Adaptive-MFA sightings, in the tenant's region: collection
 * `risk_sightings`, one document per user, id `<tenant>:<user>` (each part
 * URI-encoded). Devices and networks are stored as pseudonyms (SHA-256) and
 * places rounded to 0.1°: no address, no device id (`mfa/risk/sightings.ts`).
 */
import type { UserSightings } from '../../domain/mfa/risk/sightings.ts';
import type { SightingRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding sightings. */
export const RISK_SIGHTINGS = 'risk_sightings';

/** The document id of a user's sightings. */
export function sightingsId(tenantId: string, userId: string): string {
  return `${encodeURIComponent(tenantId)}:${encodeURIComponent(userId)}`;
}

/** The sightings repository of one transaction. */
export function sightingRepo(tx: DocTransaction): SightingRepo {
  return {
    async get(tenantId, userId) {
      const doc = await tx.get(RISK_SIGHTINGS, sightingsId(tenantId, userId));
      return doc === undefined || doc['tenant_id'] !== tenantId || doc['user_id'] !== userId ? undefined : (doc as unknown as UserSightings);
    },
    put(s) {
      // Only the known fields are written: nothing else (an address) can ride along.
      const { tenant_id, user_id, devices, networks, last_place, attempts, updated_at } = s;
      tx.set(RISK_SIGHTINGS, sightingsId(tenant_id, user_id), { tenant_id, user_id, devices, networks, last_place, attempts, updated_at });
    },
    delete(tenantId, userId) {
      tx.delete(RISK_SIGHTINGS, sightingsId(tenantId, userId));
    },
  };
}
