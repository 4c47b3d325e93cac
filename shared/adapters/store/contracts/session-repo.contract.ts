/** The contracts of {@link SessionRepo} and {@link RefreshTokenRepo}. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import type { SealedSecret } from '../../../domain/mfa/factor.ts';
import type { RefreshTokenRecord, SessionFamily } from '../../../domain/sessions/session.ts';
import { REFRESH_TOKENS } from '../refresh-token-repo.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

/** A session family of `userId` created at `instant(n)`. */
export function aSession(tenantId: string, userId: string, id: string, n: number): SessionFamily {
  return {
    session_id: id,
    tenant_id: tenantId,
    user_id: userId,
    client_id: 'web',
    created_at: instant(n),
    last_used_at: instant(n),
    idle_expires_at: instant(n + 3600),
    absolute_expires_at: instant(n + 7200),
    device: 'Firefox on Linux',
    device_id: null,
    ip: '203.0.113.0/24',
    amr: ['pwd'],
    acr: 'urn:melmastoon:acr:pwd',
    revoked_at: null,
    revoked_reason: null,
  };
}

function aRefreshToken(tenantId: string, hash: string, sessionId: string): RefreshTokenRecord {
  return {
    token_hash: hash,
    tenant_id: tenantId,
    session_id: sessionId,
    user_id: 'u1',
    client_id: 'web',
    status: 'active',
    parent: null,
    created_at: instant(1),
    used_at: null,
  };
}

const HASH = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg';

/** Runs the session and refresh token repository contracts against a backend. */
export function sessionRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`SessionRepo contract (${backend})`, () => {
    it('creates, reads and replaces a family; another tenant never sees it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'us');
      await seedTenant(stores, 't2', 'us');
      const s = aSession('t1', 'u1', 's1', 1);
      await stores.uow.run('us', async (tx) => tx.sessions.create(s));
      expect(await stores.uow.run('us', (tx) => tx.sessions.get('t1', 's1'))).toEqual(s);
      expect(await stores.uow.run('us', (tx) => tx.sessions.get('t2', 's1'))).toBeUndefined();
      expect(await stores.uow.run('us', (tx) => tx.sessions.get('t1', 's2'))).toBeUndefined();
      const revoked = { ...s, revoked_at: instant(5), revoked_reason: 'logout' };
      await stores.uow.run('us', async (tx) => tx.sessions.put(revoked));
      expect(await stores.uow.run('us', (tx) => tx.sessions.get('t1', 's1'))).toEqual(revoked);
    });

    it('a second create of the same id fails with conflict and writes nothing', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'us');
      await stores.uow.run('us', async (tx) => tx.sessions.create(aSession('t1', 'u1', 's1', 1)));
      const err = await stores.uow.run('us', async (tx) => tx.sessions.create(aSession('t1', 'u2', 's1', 2))).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect(await stores.uow.run('us', (tx) => tx.sessions.get('t1', 's1'))).toMatchObject({ user_id: 'u1' });
    });

    it('lists one user\'s families, newest first, revoked ones included, no one else\'s', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'us');
      await seedTenant(stores, 't2', 'us');
      await stores.uow.run('us', async (tx) => {
        tx.sessions.create(aSession('t1', 'u1', 'a', 1));
        tx.sessions.create({ ...aSession('t1', 'u1', 'b', 3), revoked_at: instant(4), revoked_reason: 'admin' });
        tx.sessions.create(aSession('t1', 'u1', 'c', 2));
        tx.sessions.create(aSession('t1', 'u2', 'd', 5));
        tx.sessions.create(aSession('t2', 'u1', 'e', 6));
      });
      const list = await stores.uow.run('us', (tx) => tx.sessions.listForUser('t1', 'u1'));
      expect(list.map((s) => s.session_id)).toEqual(['b', 'c', 'a']);
      expect(await stores.uow.run('us', (tx) => tx.sessions.listForUser('t1', 'nobody'))).toEqual([]);
    });
  });

  describe(`RefreshTokenRepo contract (${backend})`, () => {
    it('stores a record under its hash, reads it per tenant, and replaces it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const r = aRefreshToken('t1', HASH, 's1');
      await stores.uow.run('eu', async (tx) => tx.refreshTokens.create(r));
      expect(await stores.uow.run('eu', (tx) => tx.refreshTokens.get('t1', HASH))).toEqual(r);
      expect(await stores.uow.run('eu', (tx) => tx.refreshTokens.get('t2', HASH))).toBeUndefined();
      expect(await stores.databases.regions.eu.get(REFRESH_TOKENS, HASH)).toEqual(r);
      const rotated = { ...r, status: 'rotated' as const, used_at: instant(9) };
      await stores.uow.run('eu', async (tx) => tx.refreshTokens.put(rotated));
      expect(await stores.uow.run('eu', (tx) => tx.refreshTokens.get('t1', HASH))).toEqual(rotated);
    });

    it('graceLapsed lists the records whose grace window ended before the instant, of every tenant, oldest first, within the limit', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const sealed: SealedSecret = { v: 1, alg: 'A256GCM', kid: 'k', wrapped_key: 'd2s', iv: 'aXY', ciphertext: 'Y3Q' };
      const rotated = (tenant: string, hash: string, graceEnds: number | null): RefreshTokenRecord => ({
        ...aRefreshToken(tenant, hash, `s-${hash}`),
        status: 'rotated',
        used_at: instant(2),
        successor: 'next',
        successor_sealed: graceEnds === null ? null : sealed,
        grace_until: graceEnds === null ? null : instant(graceEnds),
      });
      await stores.uow.run('eu', async (tx) => {
        tx.refreshTokens.create(rotated('t1', 'late', 30));
        tx.refreshTokens.create(rotated('t2', 'early', 10));
        tx.refreshTokens.create(rotated('t1', 'middle', 20));
        tx.refreshTokens.create(rotated('t1', 'open', 100));
        tx.refreshTokens.create(rotated('t1', 'shredded', null));
        tx.refreshTokens.create(aRefreshToken('t1', 'active', 's-active'));
      });
      const hashes = async (before: number, limit: number) =>
        (await stores.uow.run('eu', (tx) => tx.refreshTokens.graceLapsed(instant(before), limit))).map((r) => r.token_hash);
      expect(await hashes(50, 10)).toEqual(['early', 'middle', 'late']);
      expect(await hashes(50, 2)).toEqual(['early', 'middle']);
      expect(await hashes(20, 10)).toEqual(['early']);
      expect(await hashes(5, 10)).toEqual([]);
      expect(await stores.uow.run('me', (tx) => tx.refreshTokens.graceLapsed(instant(50), 10))).toEqual([]);
    });

    it('a duplicate hash fails with conflict', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await stores.uow.run('eu', async (tx) => tx.refreshTokens.create(aRefreshToken('t1', HASH, 's1')));
      const err = await stores.uow.run('eu', async (tx) => tx.refreshTokens.create(aRefreshToken('t1', HASH, 's2'))).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect(await stores.uow.run('eu', (tx) => tx.refreshTokens.get('t1', HASH))).toMatchObject({ session_id: 's1' });
    });
  });
}
