/** The contracts of the adaptive-MFA repositories: sightings, the risk cache and the review queue. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import type { RiskCacheEntry } from '../../../domain/mfa/risk/risk-cache.ts';
import type { RiskReview } from '../../../domain/mfa/risk/risk-review.ts';
import { deviceKey, networkKey, type UserSightings } from '../../../domain/mfa/risk/sightings.ts';
import { RISK_CACHE, riskCacheId } from '../risk-cache-repo.ts';
import { RISK_SIGHTINGS, sightingsId } from '../sightings-repo.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

async function sightings(tenantId: string, userId: string): Promise<UserSightings> {
  return {
    tenant_id: tenantId,
    user_id: userId,
    devices: [{ key: await deviceKey(tenantId, userId, 'phone-1'), first_at: instant(0), last_at: instant(5) }],
    networks: [{ key: await networkKey(tenantId, userId, '203.0.113.0/24'), first_at: instant(0), last_at: instant(5) }],
    last_place: { at: instant(5), lat: 48.9, lon: 2.4 },
    attempts: [{ at: instant(5), event: 'login' }],
    updated_at: instant(5),
  };
}

function entry(tenantId: string, userId: string, net: string, level: RiskCacheEntry['level'] = 'step_up'): RiskCacheEntry {
  return {
    tenant_id: tenantId,
    user_id: userId,
    network_key: net,
    fingerprint: 'login|-|clean',
    level,
    rules: [{ rule: 'new_device', level: 'step_up', detail: { device: 'absent' } }],
    classifier: { status: 'ok', model: 'm-1', score: 0.4, suggestion: 'same', latency_ms: 12 },
    decided_at: instant(1),
    expires_at: instant(61),
  };
}

function review(id: string, tenantId: string, userId: string, createdAt: string, status: RiskReview['status'] = 'open'): RiskReview {
  return {
    id,
    tenant_id: tenantId,
    user_id: userId,
    status,
    reason: 'classifier_lock',
    level: 'hardware_step_up',
    event: 'login',
    rules: [],
    classifier: { status: 'ok', model: 'm-1', score: 0.97, suggestion: 'lock' },
    network: '203.0.113.0/24',
    request_id: 'req-1',
    occurrences: 1,
    created_at: createdAt,
    last_at: createdAt,
    resolved_at: null,
    resolved_by: null,
  };
}

/** Runs the adaptive-MFA repository contracts against a backend. */
export function riskReposContract(backend: string, makeStores: StoresFactory): void {
  describe(`SightingRepo contract (${backend})`, () => {
    it('stores the known fields only, reads them back per (tenant, user), and forgets the user', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const s = await sightings('t1', 'u1');
      await stores.uow.run('eu', async (tx) => tx.riskSightings.put({ ...s, ip: '203.0.113.9', device_id: 'phone-1' } as UserSightings));
      expect(await stores.uow.run('eu', (tx) => tx.riskSightings.get('t1', 'u1'))).toEqual(s);
      const raw = await stores.databases.regions.eu.get(RISK_SIGHTINGS, sightingsId('t1', 'u1'));
      expect(Object.keys(raw ?? {}).sort()).toEqual(['attempts', 'devices', 'last_place', 'networks', 'tenant_id', 'updated_at', 'user_id']);
      expect(JSON.stringify(raw)).not.toMatch(/203\.0\.113|phone-1/);
      expect(await stores.uow.run('eu', (tx) => tx.riskSightings.get('t2', 'u1'))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.riskSightings.get('t1', 'u2'))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.riskSightings.delete('t1', 'u1'));
      expect(await stores.uow.run('eu', (tx) => tx.riskSightings.get('t1', 'u1'))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.riskSightings.delete('t1', 'u1'));
    });

    it('refuses to write sightings of a tenant of another region (residency guard)', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't-me', 'me');
      const err = await stores.uow.run('eu', async (tx) => tx.riskSightings.put(await sightings('t-me', 'u1'))).catch((e: unknown) => e);
      expect(isIamError(err, 'residency_violation')).toBe(true);
      expect(await stores.databases.regions.eu.get(RISK_SIGHTINGS, sightingsId('t-me', 'u1'))).toBeUndefined();
    });
  });

  describe(`RiskCacheRepo contract (${backend})`, () => {
    it('stores an entry under the network pseudonym, keeps tenants and users apart, and deletes it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const net = await networkKey('t1', 'u1', '203.0.113.0/24');
      const e = entry('t1', 'u1', net);
      await stores.uow.run('eu', async (tx) => tx.riskCache.put({ ...e, ip: '203.0.113.9' } as RiskCacheEntry));
      expect(await stores.uow.run('eu', (tx) => tx.riskCache.get('t1', 'u1', net))).toEqual(e);
      const raw = await stores.databases.regions.eu.get(RISK_CACHE, riskCacheId('t1', 'u1', net));
      expect(JSON.stringify(raw)).not.toMatch(/203\.0\.113/);
      expect(await stores.uow.run('eu', (tx) => tx.riskCache.get('t2', 'u1', net))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.riskCache.get('t1', 'u2', net))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.riskCache.put({ ...e, level: 'allow' }));
      expect((await stores.uow.run('eu', (tx) => tx.riskCache.get('t1', 'u1', net)))?.level).toBe('allow');
      await stores.uow.run('eu', async (tx) => tx.riskCache.delete('t1', 'u1', net));
      expect(await stores.uow.run('eu', (tx) => tx.riskCache.get('t1', 'u1', net))).toBeUndefined();
    });

    it('deleteForUser removes every entry of one user and nothing else, and counts them', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const mine = [entry('t1', 'u1', 'n1'), entry('t1', 'u1', 'n2'), entry('t1', 'u1', 'n3')];
      const others = [entry('t1', 'u2', 'n1'), entry('t2', 'u1', 'n1')];
      await stores.uow.run('eu', async (tx) => [...mine, ...others].forEach((e) => tx.riskCache.put(e)));
      expect(await stores.uow.run('eu', (tx) => tx.riskCache.deleteForUser('t1', 'u1'))).toBe(3);
      for (const e of mine) expect(await stores.uow.run('eu', (tx) => tx.riskCache.get(e.tenant_id, e.user_id, e.network_key))).toBeUndefined();
      for (const e of others) expect(await stores.uow.run('eu', (tx) => tx.riskCache.get(e.tenant_id, e.user_id, e.network_key))).toEqual(e);
      expect(await stores.uow.run('eu', (tx) => tx.riskCache.deleteForUser('t1', 'u1'))).toBe(0);
    });
  });

  describe(`RiskReviewRepo contract (${backend})`, () => {
    it('queues an item once (a second create is a conflict) and reads it back within its tenant', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const r = review('r1', 't1', 'u1', instant(1));
      await stores.uow.run('eu', async (tx) => tx.riskReviews.create(r));
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.get('t1', 'r1'))).toEqual(r);
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.get('t2', 'r1'))).toBeUndefined();
      const err = await stores.uow.run('eu', async (tx) => tx.riskReviews.create({ ...r, occurrences: 9 })).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect((await stores.uow.run('eu', (tx) => tx.riskReviews.get('t1', 'r1')))?.occurrences).toBe(1);
    });

    it('lists open items oldest first within the tenant, finds a user\'s open item, and drops resolved ones', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const a = review('a', 't1', 'u1', instant(3));
      const b = review('b', 't1', 'u2', instant(1));
      const c = review('c', 't1', 'u3', instant(2));
      const closed = review('d', 't1', 'u4', instant(0), 'dismissed');
      const foreign = review('e', 't2', 'u1', instant(0));
      await stores.uow.run('eu', async (tx) => [a, b, c, closed, foreign].forEach((r) => tx.riskReviews.create(r)));
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.listOpen('t1', 10))).toEqual([b, c, a]);
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.listOpen('t1', 2))).toEqual([b, c]);
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.openForUser('t1', 'u1'))).toEqual(a);
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.openForUser('t1', 'u4'))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.openForUser('t1', 'nobody'))).toBeUndefined();
      const resolved: RiskReview = { ...a, status: 'confirmed', resolved_at: instant(9), resolved_by: 'admin-1' };
      await stores.uow.run('eu', async (tx) => tx.riskReviews.put(resolved));
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.openForUser('t1', 'u1'))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.listOpen('t1', 10))).toEqual([b, c]);
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.get('t1', 'a'))).toEqual(resolved);
    });

    it('deleteForUser removes every item of one user, open or not, and nothing else', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const mine = [review('m1', 't1', 'u1', instant(1)), review('m2', 't1', 'u1', instant(2), 'dismissed')];
      const others = [review('o1', 't1', 'u2', instant(1)), review('o2', 't2', 'u1', instant(1))];
      await stores.uow.run('eu', async (tx) => [...mine, ...others].forEach((r) => tx.riskReviews.create(r)));
      expect(await stores.uow.run('eu', (tx) => tx.riskReviews.deleteForUser('t1', 'u1'))).toBe(2);
      for (const r of mine) expect(await stores.uow.run('eu', (tx) => tx.riskReviews.get('t1', r.id))).toBeUndefined();
      for (const r of others) expect(await stores.uow.run('eu', (tx) => tx.riskReviews.get(r.tenant_id, r.id))).toEqual(r);
    });
  });
}
