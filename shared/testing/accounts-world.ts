/**
 * A small world for accounts tests: in-memory stores with tenants `acme` and
 * `globex` (eu) and `umbrella` (me), a frozen clock, the real Argon2id hasher,
 * a breach list faked at its port, and helpers to seed users and read back
 * what a use case wrote.
 */
import { expect } from 'vitest';
import { cryptoRandom, fixedClock } from '../adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../adapters/memory/stores.ts';
import { createArgon2Hasher, type Argon2Hasher } from '../adapters/node/argon2-hasher.ts';
import { seedTenant } from '../adapters/store/contracts/fixtures.ts';
import type { AccountDeps } from '../domain/accounts/account-deps.ts';
import type { AdminPrincipal } from '../domain/accounts/admin-principal.ts';
import type { User } from '../domain/accounts/user.ts';
import type { IamError } from '../domain/errors.ts';
import type { AuditEvent, OutboxRow } from '../domain/outbox/event.ts';
import type { Result } from '../domain/result.ts';
import type { BreachList, PasswordHasher } from '../domain/ports.ts';
import type { Region } from '../domain/tenants/tenant.ts';

/** 2026-03-01T12:00:00Z. */
export const WORLD_T0 = Date.UTC(2026, 2, 1, 12);

/** A breach list answering from a fixed set, or `unknown` while `down`. */
export interface FakeBreachList extends BreachList {
  down: boolean;
  readonly checked: string[];
}

/** The fake breach list: `breached` for the given passwords. */
export function fakeBreachList(breached: readonly string[]): FakeBreachList {
  const set = new Set(breached);
  const list: FakeBreachList = {
    down: false,
    checked: [],
    async check(p) {
      list.checked.push(p);
      if (list.down) return 'unknown';
      return set.has(p) ? 'breached' : 'clean';
    },
  };
  return list;
}

/** Principals of the world. */
export const BOOTSTRAP: AdminPrincipal = { kind: 'bootstrap' };
/** A tenant admin of `tenantId`. */
export function tenantAdmin(tenantId: string, userId = `admin-of-${tenantId}`): AdminPrincipal {
  return { kind: 'user', tenant_id: tenantId, user_id: userId, roles: ['tenant_admin'] };
}
/** A platform admin (its own tenant is `platform`). */
export const PLATFORM_ADMIN: AdminPrincipal = { kind: 'user', tenant_id: 'platform', user_id: 'root-1', roles: ['platform_admin'] };

/** What a test sees of the world. */
export interface AccountsWorld {
  readonly stores: MemoryStores;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly hasher: Argon2Hasher;
  readonly breachList: FakeBreachList;
  readonly deps: AccountDeps & { readonly hasher: PasswordHasher; readonly breachList: BreachList };
  /** Stores a user directly (bypassing use cases). */
  seedUser(user: Partial<User> & Pick<User, 'user_id' | 'tenant_id'>, password?: string): Promise<User>;
  /** The stored user, read in its region. */
  user(tenantId: string, userId: string, region?: Region): Promise<User | undefined>;
  outbox(region?: Region): Promise<readonly OutboxRow[]>;
  audit(region?: Region): Promise<readonly AuditEvent[]>;
  /** Commits with writes across every regional database so far. */
  commits(): number;
}

/** Builds a fresh world. `hashVersion` is the hasher's current version (default 2). */
export async function accountsWorld(options: { readonly hashVersion?: number; readonly breached?: readonly string[] } = {}): Promise<AccountsWorld> {
  const stores = createMemoryStores();
  await seedTenant(stores, 'acme', 'eu');
  await seedTenant(stores, 'globex', 'eu');
  await seedTenant(stores, 'umbrella', 'me');
  const clock = fixedClock(WORLD_T0);
  const hasher = createArgon2Hasher({ version: options.hashVersion ?? 2 });
  const breachList = fakeBreachList(options.breached ?? ['correct horse battery staple']);
  const deps = { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom, hasher, breachList };
  const regionOf = async (tenantId: string): Promise<Region> => (await stores.directory.regionOf(tenantId)) ?? 'eu';
  const all = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
  return {
    stores,
    clock,
    hasher,
    breachList,
    deps,
    async seedUser(partial, password) {
      const at = new Date(clock.now()).toISOString();
      const user: User = {
        email: `${partial.user_id}@example.com`,
        roles: ['member'],
        status: 'active',
        password: password === undefined ? null : { phc: await hasher.hash(password), hash_version: hasher.version, changed_at: at },
        mfa_methods: [],
        created_at: at,
        updated_at: at,
        created_by: { type: 'platform', id: 'bootstrap' },
        last_login_at: null,
        ...partial,
      };
      await stores.uow.run(await regionOf(user.tenant_id), async (tx) => tx.users.create(user));
      return user;
    },
    async user(tenantId, userId, region) {
      return stores.uow.run(region ?? (await regionOf(tenantId)), (tx) => tx.users.get(tenantId, userId));
    },
    outbox: (region = 'eu') => stores.uow.run(region, (tx) => tx.outbox.createdBetween(all.from, all.to)),
    audit: (region = 'eu') => stores.uow.run(region, (tx) => tx.audit.between(all.from, all.to)),
    commits: () => Object.values(stores.databases.regions).reduce((n, db) => n + db.commits, 0),
  };
}

/** Runs a use case, asserts that it was refused with `code` and that no transaction wrote anything. */
export async function expectRefusal<T>(w: AccountsWorld, run: () => Promise<Result<T, IamError>>, code: string): Promise<IamError> {
  const before = w.commits();
  const r = await run();
  if (r.ok) throw new Error(`expected ${code}, got success`);
  expect(r.error.code).toBe(code);
  expect(w.commits()).toBe(before);
  return r.error;
}
