/** The contract of {@link UserRepo}: tenant walls, the email index, the rehash query. */
import { describe, expect, it } from 'vitest';
import type { User } from '../../../domain/accounts/user.ts';
import { isIamError } from '../../../domain/errors.ts';
import type { Stores } from '../stores.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

/** A user of `tenantId`. */
export function aUser(tenantId: string, userId: string, overrides: Partial<User> = {}): User {
  return {
    user_id: userId,
    tenant_id: tenantId,
    email: `${userId}@example.com`,
    roles: ['member'],
    status: 'active',
    password: { phc: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', hash_version: 1, changed_at: instant(0) },
    mfa_methods: [],
    created_at: instant(0),
    updated_at: instant(0),
    created_by: { type: 'platform', id: 'bootstrap' },
    last_login_at: null,
    ...overrides,
  };
}

async function add(stores: Stores, ...users: User[]): Promise<void> {
  for (const u of users) await stores.uow.run('eu', async (tx) => tx.users.create(u));
}

/** Runs the user repository contract against a backend. */
export function userRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`UserRepo contract (${backend})`, () => {
    it('creates a user and reads it back exactly, by id and by email, only inside its tenant', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const u = aUser('t1', 'u1');
      await add(stores, u);
      const read = await stores.uow.run('eu', async (tx) => ({
        byId: await tx.users.get('t1', 'u1'),
        byEmail: await tx.users.findByEmail('t1', 'u1@example.com'),
        otherTenantById: await tx.users.get('t2', 'u1'),
        otherTenantByEmail: await tx.users.findByEmail('t2', 'u1@example.com'),
        unknown: await tx.users.findByEmail('t1', 'nobody@example.com'),
      }));
      // Exactly the domain object: no helper field leaks out.
      expect(read).toEqual({ byId: u, byEmail: u, otherTenantById: undefined, otherTenantByEmail: undefined, unknown: undefined });
    });

    it('refuses a second user with the same email in a tenant, writing nothing; another tenant may use it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      await add(stores, aUser('t1', 'u1', { email: 'same@example.com' }));
      const e = await add(stores, aUser('t1', 'u2', { email: 'same@example.com' })).catch((x: unknown) => x);
      expect(isIamError(e, 'conflict')).toBe(true);
      expect(await stores.uow.run('eu', (tx) => tx.users.get('t1', 'u2'))).toBeUndefined();
      await add(stores, aUser('t2', 'u3', { email: 'same@example.com' }));
      expect((await stores.uow.run('eu', (tx) => tx.users.findByEmail('t2', 'same@example.com')))?.user_id).toBe('u3');
    });

    it('put replaces the user', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const u = aUser('t1', 'u1');
      await add(stores, u);
      const changed: User = { ...u, roles: ['a', 'b'], status: 'disabled', updated_at: instant(9), last_login_at: instant(8) };
      await stores.uow.run('eu', async (tx) => tx.users.put(changed));
      expect(await stores.uow.run('eu', (tx) => tx.users.findByEmail('t1', u.email))).toEqual(changed);
    });

    it('outdatedInactive: old hash versions, inactive before the cutoff (last login, else creation), least recent first, across tenants, limited', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const pw = (v: number) => ({ phc: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA', hash_version: v, changed_at: instant(0) });
      await add(
        stores,
        aUser('t1', 'old-never-logged-in', { password: pw(1), created_at: instant(10), last_login_at: null }),
        aUser('t2', 'old-logged-in-long-ago', { password: pw(2), created_at: instant(0), last_login_at: instant(20) }),
        aUser('t1', 'old-but-active', { password: pw(1), created_at: instant(0), last_login_at: instant(500) }),
        aUser('t1', 'current-version', { password: pw(3), created_at: instant(0) }),
        aUser('t1', 'newer-version', { password: pw(4), created_at: instant(0) }),
        aUser('t1', 'no-password', { password: null, created_at: instant(0) }),
        aUser('t1', 'oldest', { password: pw(1), created_at: instant(5) }),
      );
      const q = (belowVersion: number, limit = 10) =>
        stores.uow.run('eu', async (tx) => (await tx.users.outdatedInactive({ belowVersion, inactiveBefore: instant(100), limit })).map((u) => u.user_id));
      expect(await q(3)).toEqual(['oldest', 'old-never-logged-in', 'old-logged-in-long-ago']);
      expect(await q(3, 2)).toEqual(['oldest', 'old-never-logged-in']);
      expect(await q(2)).toEqual(['oldest', 'old-never-logged-in']);
      expect(await q(1)).toEqual([]);
      const one = await stores.uow.run('eu', (tx) => tx.users.outdatedInactive({ belowVersion: 3, inactiveBefore: instant(100), limit: 1 }));
      expect(one[0]).toEqual(aUser('t1', 'oldest', { password: pw(1), created_at: instant(5) }));
    });
  });
}
