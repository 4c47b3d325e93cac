import { describe, expect, it } from 'vitest';
import { createArgon2Hasher } from '../../adapters/node/argon2-hasher.ts';
import { accountsWorld, WORLD_T0 } from '../../testing/accounts-world.ts';
import type { PasswordHasher } from '../ports.ts';
import { REHASH_JOB_ACTOR, rehashInactiveUsers } from './rehash-inactive-users.ts';
import type { User } from './user.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** The parameters of version 1 (t=2) and of version 2 (t=3). */
const v1 = createArgon2Hasher({ version: 1 });
const v2 = createArgon2Hasher({ version: 2, params: { memoryKiB: 19_456, passes: 3, parallelism: 1 } });

async function seed(w: Awaited<ReturnType<typeof accountsWorld>>, id: string, password: string, overrides: Partial<User> = {}): Promise<User> {
  return w.seedUser({ user_id: id, tenant_id: 'acme', password: { phc: await v1.hash(password), hash_version: 1, changed_at: iso(0) }, created_at: iso(WORLD_T0 - 400 * DAY), ...overrides });
}

describe('rehashInactiveUsers', () => {
  it('wraps the outdated hashes of inactive users; the wrapped hash verifies the same password', async () => {
    const w = await accountsWorld();
    const deps = { ...w.deps, hasher: v2 };
    await seed(w, 'never', 'password of never');
    await seed(w, 'long-ago', 'password of long-ago', { last_login_at: iso(WORLD_T0 - 200 * DAY) });
    await seed(w, 'recent', 'password of recent', { last_login_at: iso(WORLD_T0 - 10 * DAY) });
    await seed(w, 'new-account', 'password of new-account', { created_at: iso(WORLD_T0 - 5 * DAY) });
    await w.seedUser({ user_id: 'current', tenant_id: 'acme', password: { phc: await v2.hash('x'), hash_version: 2, changed_at: iso(0) }, created_at: iso(0) });
    await w.seedUser({ user_id: 'passwordless', tenant_id: 'acme', created_at: iso(0) });
    const before = { recent: await w.user('acme', 'recent'), current: await w.user('acme', 'current') };

    const report = await rehashInactiveUsers(deps, { inactiveDays: 90, batchSize: 1, maxBatches: 10 });
    expect(report).toEqual({ hash_version: 2, inactive_before: iso(WORLD_T0 - 90 * DAY), wrapped: 2, skipped: 0, failures: [], more: false });
    for (const id of ['never', 'long-ago']) {
      const u = await w.user('acme', id);
      expect(u?.password?.hash_version).toBe(2);
      expect(u?.password?.phc).toMatch(/^\$argon2id-wrap\$v=19\$hv=2,m=19456,t=3,p=1,in=argon2id-19456-2-1-32-/);
      expect(await v2.verify(u?.password?.phc ?? '', `password of ${id}`)).toBe(true);
      expect(await v2.verify(u?.password?.phc ?? '', 'another password')).toBe(false);
      expect(u?.password?.changed_at).toBe(iso(0));
    }
    expect(await w.user('acme', 'recent')).toEqual(before.recent);
    expect(await w.user('acme', 'current')).toEqual(before.current);
    const audit = await w.audit();
    // Both at the frozen instant: compare in target order.
    const sorted = [...audit].sort((a, b) => a.target.localeCompare(b.target));
    expect(sorted.map((a) => [a.action, a.target, a.actor])).toEqual([
      ['user.password_wrapped', 'user/long-ago', REHASH_JOB_ACTOR],
      ['user.password_wrapped', 'user/never', REHASH_JOB_ACTOR],
    ]);
    expect(sorted.map((a) => a.details)).toEqual([
      { from_version: 1, to_version: 2, rewrapped: true },
      { from_version: 1, to_version: 2, rewrapped: true },
    ]);
  });

  it('is idempotent: a second run finds nothing and writes nothing', async () => {
    const w = await accountsWorld();
    const deps = { ...w.deps, hasher: v2 };
    await seed(w, 'a', 'pa');
    await rehashInactiveUsers(deps, { inactiveDays: 90, batchSize: 10, maxBatches: 10 });
    const before = w.commits();
    const again = await rehashInactiveUsers(deps, { inactiveDays: 90, batchSize: 10, maxBatches: 10 });
    expect(again).toMatchObject({ wrapped: 0, skipped: 0, failures: [] });
    expect(w.commits()).toBe(before);
  });

  it('wraps a wrapped hash after a second bump, and the chain still verifies', async () => {
    const w = await accountsWorld();
    await seed(w, 'a', 'pa');
    await rehashInactiveUsers({ ...w.deps, hasher: v2 }, { inactiveDays: 90, batchSize: 10, maxBatches: 1 });
    const v3 = createArgon2Hasher({ version: 3, params: { memoryKiB: 20_480, passes: 3, parallelism: 1 } });
    const r = await rehashInactiveUsers({ ...w.deps, hasher: v3 }, { inactiveDays: 90, batchSize: 10, maxBatches: 1 });
    expect(r.wrapped).toBe(1);
    const phc = (await w.user('acme', 'a'))?.password?.phc ?? '';
    expect(phc).toMatch(/^\$argon2id-wrap\$v=19\$hv=3,m=20480,t=3,p=1,in=argon2id-19456-2-1-32-[^.$]+\.argon2id-19456-3-1-32-/);
    expect(await v3.verify(phc, 'pa')).toBe(true);
  });

  it('re-versions without rewrapping when only the version moved (same parameters)', async () => {
    const w = await accountsWorld();
    await seed(w, 'a', 'pa');
    const sameParams = createArgon2Hasher({ version: 2 });
    const phc = (await w.user('acme', 'a'))?.password?.phc;
    const r = await rehashInactiveUsers({ ...w.deps, hasher: sameParams }, { inactiveDays: 90, batchSize: 10, maxBatches: 1 });
    expect(r.wrapped).toBe(1);
    expect((await w.user('acme', 'a'))?.password).toMatchObject({ phc, hash_version: 2 });
    expect((await w.audit())[0]?.details).toMatchObject({ rewrapped: false });
  });

  it('skips a user whose hash changed while it was being wrapped (a login rehashed it)', async () => {
    const w = await accountsWorld();
    await seed(w, 'a', 'pa');
    const racing: PasswordHasher = {
      ...v2,
      version: v2.version,
      wrap: async (phc) => {
        const wrapped = await v2.wrap(phc);
        // A login lands meanwhile and stores a fresh hash.
        await w.stores.uow.run('eu', async (tx) => {
          const u = await tx.users.get('acme', 'a');
          if (u) tx.users.put({ ...u, password: { phc: await v2.hash('pa'), hash_version: 2, changed_at: iso(WORLD_T0) }, last_login_at: iso(WORLD_T0) });
        });
        return wrapped;
      },
    };
    const r = await rehashInactiveUsers({ ...w.deps, hasher: racing }, { inactiveDays: 90, batchSize: 10, maxBatches: 2 });
    expect(r).toMatchObject({ wrapped: 0, skipped: 1, failures: [] });
    expect((await w.user('acme', 'a'))?.password?.phc).toMatch(/^\$argon2id\$/);
    expect(await w.audit()).toEqual([]);
  });

  it('reports a record it cannot wrap and goes on with the others', async () => {
    const w = await accountsWorld();
    await seed(w, 'corrupt', 'x', { password: { phc: '$argon2id$v=19$garbage', hash_version: 1, changed_at: iso(0) }, created_at: iso(WORLD_T0 - 500 * DAY) });
    await seed(w, 'fine', 'pf');
    const r = await rehashInactiveUsers({ ...w.deps, hasher: v2 }, { inactiveDays: 90, batchSize: 1, maxBatches: 5 });
    expect(r.wrapped).toBe(1);
    expect(r.failures).toMatchObject([{ region: 'eu', tenant_id: 'acme', user_id: 'corrupt' }]);
    expect(await v2.verify((await w.user('acme', 'fine'))?.password?.phc ?? '', 'pf')).toBe(true);
  });

  it('stops after maxBatches and says there is more; visits every region', async () => {
    const w = await accountsWorld();
    for (const id of ['a', 'b', 'c']) await seed(w, id, `p${id}`);
    await w.seedUser({ user_id: 'm1', tenant_id: 'umbrella', password: { phc: await v1.hash('pm'), hash_version: 1, changed_at: iso(0) }, created_at: iso(0) });
    const first = await rehashInactiveUsers({ ...w.deps, hasher: v2 }, { inactiveDays: 90, batchSize: 1, maxBatches: 2 });
    expect(first).toMatchObject({ wrapped: 3, more: true });
    const second = await rehashInactiveUsers({ ...w.deps, hasher: v2 }, { inactiveDays: 90, batchSize: 1, maxBatches: 2 });
    expect(second).toMatchObject({ wrapped: 1, more: false });
    expect((await w.user('umbrella', 'm1'))?.password?.hash_version).toBe(2);
  });
});
