/**
 * The contract of revocation epochs: {@link RevocationEpochRepo} in a tenant's
 * region, the platform's through the platform unit of work, the cached
 * platform epoch source, and the use cases that raise them (one write per
 * scope, whatever the number of sessions).
 */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import { recordKeyRotation } from '../../../domain/keys/record-key-rotation.ts';
import { revokeAllSessions, MASS_REVOKED_EVENT } from '../../../domain/sessions/revocation-epoch-platform.ts';
import { revokeTenantSessions } from '../../../domain/sessions/revocation-epoch-tenant.ts';
import { isRevokedByEpoch, PLATFORM_SCOPE, type RevocationEpoch } from '../../../domain/sessions/revocation-epoch.ts';
import { cryptoRandom, fixedClock } from '../../local/clock.ts';
import { AUDIT } from '../audit-repo.ts';
import type { DocDatabase, Write } from '../documents.ts';
import { OUTBOX } from '../outbox-repo.ts';
import { platformUnitOfWork } from '../platform-unit-of-work.ts';
import { lazyPlatformEpochSource, platformEpochSource, REVOCATION_EPOCHS } from '../revocation-repo.ts';
import { SESSIONS } from '../session-repo.ts';
import { documentUnitOfWork } from '../unit-of-work.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';
import { aSession } from './session-repo.contract.ts';

const ADMIN = { type: 'admin', id: 'admin-1' } as const;
const OPERATOR = { type: 'platform', id: 'alice' } as const;

function anEpoch(scope: string, n: number, version = 1): RevocationEpoch {
  return { tenant_id: scope, epoch: instant(n), set_at: instant(n), actor: ADMIN, reason: 'incident', version };
}

/** The database with every transaction's buffered writes recorded. */
function counting(db: DocDatabase): DocDatabase & { readonly commits: (readonly Write[])[] } {
  const commits: (readonly Write[])[] = [];
  return {
    name: db.name,
    commits,
    get: (c, id) => db.get(c, id),
    query: (c, q) => db.query(c, q),
    runTransaction: (fn, options) =>
      db.runTransaction(fn, {
        beforeCommit: async (writes, current) => {
          await options?.beforeCommit?.(writes, current);
          commits.push(writes);
        },
      }),
  };
}

/** Runs the revocation epoch contracts against a backend. */
export function revocationRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`RevocationEpochRepo contract (${backend})`, () => {
    it('stores one document per tenant in its region; other tenants and regions see nothing', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      await seedTenant(stores, 't2', 'me');
      expect(await stores.uow.run('me', (tx) => tx.revocationEpochs.get('t1'))).toBeUndefined();
      await stores.uow.run('me', async (tx) => tx.revocationEpochs.put(anEpoch('t1', 5)));
      expect(await stores.uow.run('me', (tx) => tx.revocationEpochs.get('t1'))).toEqual(anEpoch('t1', 5));
      expect(await stores.uow.run('me', (tx) => tx.revocationEpochs.get('t2'))).toBeUndefined();
      expect(await stores.databases.regions.me.get(REVOCATION_EPOCHS, 't1')).toEqual(anEpoch('t1', 5));
      expect(await stores.databases.regions.eu.get(REVOCATION_EPOCHS, 't1')).toBeUndefined();
      expect(await stores.databases.platform.get(REVOCATION_EPOCHS, 't1')).toBeUndefined();
    });

    it('refuses to write a tenant epoch outside the tenant region (residency guard)', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      const err = await stores.uow.run('eu', async (tx) => tx.revocationEpochs.put(anEpoch('t1', 5))).catch((e: unknown) => e);
      expect(isIamError(err, 'residency_violation')).toBe(true);
      expect(await stores.databases.regions.eu.get(REVOCATION_EPOCHS, 't1')).toBeUndefined();
    });

    it('fails closed on a corrupt stored epoch', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await stores.databases.regions.eu.runTransaction(async (tx) => tx.set(REVOCATION_EPOCHS, 't1', { tenant_id: 't1', epoch: 'yesterday' }));
      await expect(stores.uow.run('eu', (tx) => tx.revocationEpochs.get('t1'))).rejects.toThrow(/corrupt revocation epoch/);
    });
  });

  describe(`revokeTenantSessions (${backend})`, () => {
    it('revokes every family of the tenant created up to now with ONE epoch write (+ its audit and event), touching no session', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      await stores.uow.run('eu', async (tx) => {
        for (let i = 0; i < 25; i++) tx.sessions.create(aSession('t1', `u${i}`, `s${i}`, i));
        tx.sessions.create(aSession('t2', 'v1', 'other', 1));
      });
      const eu = counting(stores.databases.regions.eu);
      const uow = documentUnitOfWork({ ...stores.databases.regions, eu }, stores.directory);
      const clock = fixedClock(Date.parse(instant(100)));
      const result = await revokeTenantSessions({ uow, directory: stores.directory, clock, random: cryptoRandom }, { tenantId: 't1', actor: ADMIN, reason: 'incident', requestId: 'req-9' });
      if (!result.ok) throw result.error;
      expect(result.value).toEqual({ tenant_id: 't1', epoch: instant(100), set_at: instant(100), actor: ADMIN, reason: 'incident', version: 1 });
      expect(eu.commits).toHaveLength(1);
      expect(eu.commits[0]?.map((w) => `${w.kind} ${w.collection}`).sort()).toEqual(['create audit', 'create outbox', `set ${REVOCATION_EPOCHS}`]);
      // Every family of t1 falls under the epoch; t2's and later ones do not.
      const tenantEpoch = await stores.uow.run('eu', (tx) => tx.revocationEpochs.get('t1'));
      const sessions = (await stores.databases.regions.eu.query(SESSIONS, {})).map((f) => f.data as unknown as { tenant_id: string; created_at: string; revoked_at: string | null });
      expect(sessions).toHaveLength(26);
      for (const s of sessions.filter((x) => x.tenant_id === 't1')) {
        expect(s.revoked_at).toBeNull(); // untouched: the refresh applies the epoch
        expect(isRevokedByEpoch(s, { platform: undefined, tenant: tenantEpoch })).toBe('tenant_epoch');
      }
      expect(isRevokedByEpoch({ tenant_id: 't1', created_at: instant(101) }, { platform: undefined, tenant: tenantEpoch })).toBeUndefined();
      const [event] = await stores.databases.regions.eu.query(OUTBOX, {});
      expect(event?.data).toMatchObject({ type: MASS_REVOKED_EVENT, tenant_id: 't1', ordering_key: 'tenant/t1', data: { scope: 'tenant', epoch: instant(100), reason: 'incident', version: 1 } });
      const [audit] = await stores.databases.regions.eu.query(AUDIT, {});
      expect(audit?.data).toMatchObject({ tenant_id: 't1', actor: ADMIN, action: 'sessions.mass_revoked', event_id: event?.id, request_id: 'req-9' });
    });

    it('only moves the epoch forward, and counts versions', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const clock = fixedClock(Date.parse(instant(100)));
      const deps = { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom };
      await revokeTenantSessions(deps, { tenantId: 't1', actor: ADMIN, reason: 'a' });
      clock.set(Date.parse(instant(50))); // a clock behind the first one
      const second = await revokeTenantSessions(deps, { tenantId: 't1', actor: ADMIN, reason: 'b' });
      expect(second.ok && second.value).toMatchObject({ epoch: instant(100), set_at: instant(50), version: 2, reason: 'b' });
    });

    it('refuses an unknown tenant, writing nothing', async () => {
      const stores = await makeStores();
      const result = await revokeTenantSessions(
        { uow: stores.uow, directory: stores.directory, clock: fixedClock(0), random: cryptoRandom },
        { tenantId: 'ghost', actor: ADMIN, reason: 'x' },
      );
      expect(!result.ok && result.error.code).toBe('tenant_not_found');
      for (const db of Object.values(stores.databases.regions)) expect(await db.query(REVOCATION_EPOCHS, {})).toEqual([]);
    });
  });

  describe(`platform revocation epoch (${backend})`, () => {
    it('revokeAllSessions writes one epoch document, its audit and its event, all in the platform database', async () => {
      const stores = await makeStores();
      const platform = counting(stores.databases.platform);
      const clock = fixedClock(Date.parse(instant(200)));
      const epoch = await revokeAllSessions({ platformUow: platformUnitOfWork(platform), clock, random: cryptoRandom }, { actor: OPERATOR, reason: 'incident' });
      expect(epoch).toEqual({ tenant_id: PLATFORM_SCOPE, epoch: instant(200), set_at: instant(200), actor: OPERATOR, reason: 'incident', version: 1 });
      expect(platform.commits).toHaveLength(1);
      expect(platform.commits[0]).toHaveLength(3);
      expect(await stores.databases.platform.get(REVOCATION_EPOCHS, PLATFORM_SCOPE)).toEqual(epoch);
      const [event] = await stores.databases.platform.query(OUTBOX, {});
      expect(event?.data).toMatchObject({ type: MASS_REVOKED_EVENT, tenant_id: PLATFORM_SCOPE, data: { scope: 'platform', epoch: instant(200) } });
      expect((await stores.databases.platform.query(AUDIT, {}))[0]?.data).toMatchObject({ actor: OPERATOR, action: 'sessions.mass_revoked', target: 'platform/sessions' });
      for (const db of Object.values(stores.databases.regions)) expect(await db.query(REVOCATION_EPOCHS, {})).toEqual([]);
      // Every tenant's family created up to then is revoked by it.
      expect(isRevokedByEpoch({ tenant_id: 'any', created_at: instant(199) }, { platform: epoch, tenant: undefined })).toBe('platform_epoch');
    });

    it('the platform unit of work refuses to write anything of a tenant there, and writes nothing then', async () => {
      const stores = await makeStores();
      const uow = platformUnitOfWork(stores.databases.platform);
      const err = await uow
        .run(async (tx) => {
          tx.revocationEpochs.put(anEpoch(PLATFORM_SCOPE, 1));
          tx.revocationEpochs.put(anEpoch('t1', 1));
        })
        .catch((e: unknown) => e);
      expect(isIamError(err, 'residency_violation')).toBe(true);
      expect(await stores.databases.platform.query(REVOCATION_EPOCHS, {})).toEqual([]);
    });

    it('recordKeyRotation audits the rotation with its actor and emits iam.keys.rotated.v1; an emergency one can raise the epoch in the same transaction', async () => {
      const stores = await makeStores();
      const platform = counting(stores.databases.platform);
      const deps = { platformUow: platformUnitOfWork(platform), clock: fixedClock(Date.parse(instant(300))), random: cryptoRandom };
      const rotation = { mode: 'emergency', signer: 'local', current: 'kid-b', next: 'kid-c', previous: undefined, retired: ['kid-a'] } as const;
      const recorded = await recordKeyRotation(deps, { rotation, actor: OPERATOR, revokeSessions: true });
      expect(platform.commits).toHaveLength(1);
      expect(platform.commits[0]?.map((w) => w.collection).sort()).toEqual(['audit', 'audit', 'outbox', 'outbox', REVOCATION_EPOCHS]);
      expect(recorded.epoch).toMatchObject({ epoch: instant(300), reason: 'key_compromise', actor: OPERATOR });
      expect(recorded.event).toMatchObject({
        type: 'iam.keys.rotated.v1',
        tenant_id: PLATFORM_SCOPE,
        data: { mode: 'emergency', signer: 'local', current_kid: 'kid-b', next_kid: 'kid-c', previous_kid: null, retired_kids: ['kid-a'], sessions_revoked_before: instant(300) },
      });
      const audits = (await stores.databases.platform.query(AUDIT, {})).map((f) => f.data);
      expect(audits).toContainEqual(expect.objectContaining({ action: 'keys.rotated', actor: OPERATOR, target: 'keys/jwt-signing', event_id: recorded.event.id }));
      expect((await stores.databases.platform.query(OUTBOX, {})).map((f) => f.id).sort()).toEqual([...recorded.outboxIds].sort());
      const scheduled = await recordKeyRotation(deps, { rotation: { ...rotation, mode: 'scheduled', previous: 'kid-b', retired: [] }, actor: OPERATOR, revokeSessions: false });
      expect(scheduled.epoch).toBeUndefined();
      expect(platform.commits[1]?.map((w) => w.collection).sort()).toEqual(['audit', 'outbox']);
      await expect(recordKeyRotation(deps, { rotation: { ...rotation, mode: 'scheduled' }, actor: OPERATOR, revokeSessions: true })).rejects.toThrow(/only an emergency/);
    });

    it('platformEpochSource caches the epoch for its TTL, then sees a raise', async () => {
      const stores = await makeStores();
      const clock = fixedClock(Date.parse(instant(400)));
      const source = platformEpochSource(stores.databases.platform, { clock, cacheTtlMs: 5_000 });
      expect(await source.current()).toBeUndefined();
      const epoch = await revokeAllSessions({ platformUow: platformUnitOfWork(stores.databases.platform), clock, random: cryptoRandom }, { actor: OPERATOR, reason: 'x' });
      clock.advance(4_999);
      expect(await source.current()).toBeUndefined(); // cached
      clock.advance(1);
      expect(await source.current()).toEqual(epoch);
    });

    it('lazyPlatformEpochSource opens the platform database once, on first use, and reads the same epoch', async () => {
      const stores = await makeStores();
      const clock = fixedClock(Date.parse(instant(450)));
      let opened = 0;
      const source = lazyPlatformEpochSource(async () => {
        opened++;
        return stores.databases.platform;
      }, { clock, cacheTtlMs: 0 });
      expect(opened).toBe(0);
      const epoch = await revokeAllSessions({ platformUow: platformUnitOfWork(stores.databases.platform), clock, random: cryptoRandom }, { actor: OPERATOR, reason: 'x' });
      const [a, b] = await Promise.all([source.current(), source.current()]);
      expect(a).toEqual(epoch);
      expect(b).toEqual(epoch);
      expect(await source.current()).toEqual(epoch);
      expect(opened).toBe(1);
    });

    it('platformEpochSource serves its copy while the platform database is down, for a bounded time, then fails closed', async () => {
      const stores = await makeStores();
      const clock = fixedClock(Date.parse(instant(500)));
      let down = false;
      const flaky: DocDatabase = {
        ...stores.databases.platform,
        name: 'flaky',
        runTransaction: (fn, o) => stores.databases.platform.runTransaction(fn, o),
        query: (c, q) => stores.databases.platform.query(c, q),
        get: async (c, id) => {
          if (down) throw new Error('platform database unreachable');
          return stores.databases.platform.get(c, id);
        },
      };
      const epoch = await revokeAllSessions({ platformUow: platformUnitOfWork(stores.databases.platform), clock, random: cryptoRandom }, { actor: OPERATOR, reason: 'x' });
      const source = platformEpochSource(flaky, { clock, cacheTtlMs: 1_000, maxStaleMs: 60_000 });
      expect(await source.current()).toEqual(epoch);
      down = true;
      clock.advance(30_000);
      expect(await source.current()).toEqual(epoch);
      clock.advance(30_001);
      const err = await source.current().catch((e: unknown) => e);
      expect(isIamError(err, 'temporarily_unavailable')).toBe(true);
      const cold = await platformEpochSource(flaky, { clock }).current().catch((e: unknown) => e);
      expect(isIamError(cold, 'temporarily_unavailable')).toBe(true);
    });
  });
}
