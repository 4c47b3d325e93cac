/**
 * `POST /jobs/rehash-inactive` on the Firestore emulator: the jobs handler
 * with the real Firestore stores wraps outdated hashes of inactive users,
 * once, and the wrapped hashes verify the users' passwords.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { cryptoRandom, fixedClock } from '../../shared/adapters/local/clock.ts';
import { createMemoryPublisher } from '../../shared/adapters/pubsub/memory-publisher.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { seedTenant } from '../../shared/adapters/store/contracts/fixtures.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { fakeRequest, type FakeRequestInit } from '../../shared/http/fixtures/request.ts';
import type { HttpResponse } from '../../shared/http/types.ts';
import { silentLogger } from '../../shared/log.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { jobsHandler } from './handler.ts';

const T0 = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const v1 = createArgon2Hasher({ version: 1 });
const v2 = createArgon2Hasher({ version: 2, params: { memoryKiB: 19_456, passes: 3, parallelism: 1 } });

let stores: Stores;
let call: (init: FakeRequestInit) => Promise<HttpResponse>;

async function user(tenantId: string, userId: string, password: string, lastLogin: number | null): Promise<User> {
  return {
    user_id: userId,
    tenant_id: tenantId,
    email: `${userId}@example.com`,
    roles: ['member'],
    status: 'active',
    password: { phc: await v1.hash(password), hash_version: 1, changed_at: iso(T0 - 400 * DAY) },
    mfa_methods: [],
    created_at: iso(T0 - 400 * DAY),
    updated_at: iso(T0 - 400 * DAY),
    created_by: { type: 'platform', id: 'bootstrap' },
    last_login_at: lastLogin === null ? null : iso(lastLogin),
  };
}

beforeAll(async () => {
  stores = createFirestoreStores(loadConfig(testEnv(testProjectId('rehash'))));
  await seedTenant(stores, 'acme', 'eu');
  await seedTenant(stores, 'umbrella', 'me');
  const seeded = [
    await user('acme', 'idle-1', 'password of idle-1', null),
    await user('acme', 'idle-2', 'password of idle-2', T0 - 120 * DAY),
    await user('acme', 'active', 'password of active', T0 - 3 * DAY),
  ];
  for (const u of seeded) await stores.uow.run('eu', async (tx) => tx.users.create(u));
  const me = await user('umbrella', 'idle-me', 'password of idle-me', null);
  await stores.uow.run('me', async (tx) => tx.users.create(me));
  const handler = jobsHandler({
    runtime: async () => ({ uow: stores.uow, publisher: createMemoryPublisher(), eventsTopic: 'iam-events' }),
    clock: fixedClock(T0),
    log: silentLogger,
    passwords: { hasher: v2, random: cryptoRandom },
  });
  call = async (init) => {
    const req = fakeRequest({ method: 'POST', path: '/jobs/rehash-inactive', ...init });
    try {
      return await handler(req);
    } catch (e) {
      return errorResponse(e, req.requestId, silentLogger);
    }
  };
}, 60_000);

afterAll(terminateFirestoreClients);

const read = (tenantId: string, userId: string, region: 'eu' | 'me' = 'eu') => stores.uow.run(region, (tx) => tx.users.get(tenantId, userId));

describe('POST /jobs/rehash-inactive on the emulator', () => {
  it('refuses a bad body, writing nothing', async () => {
    for (const body of [{ inactive_days: 0 }, { batch_size: 'all' }, { extra: true }]) {
      const res = await call({ body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    }
    expect((await read('acme', 'idle-1'))?.password?.hash_version).toBe(1);
  });

  it('wraps the inactive users of every region in batches; active users keep their hash', async () => {
    const activeBefore = await read('acme', 'active');
    const res = await call({ body: { inactive_days: 90, batch_size: 1, max_batches: 5 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hash_version: 2, wrapped: 3, skipped: 0, failures: [], more: false });
    for (const [tenant, id, region] of [['acme', 'idle-1', 'eu'], ['acme', 'idle-2', 'eu'], ['umbrella', 'idle-me', 'me']] as const) {
      const u = await read(tenant, id, region);
      expect(u?.password?.hash_version).toBe(2);
      expect(u?.password?.phc).toMatch(/^\$argon2id-wrap\$v=19\$hv=2,m=19456,t=3,p=1,in=argon2id-19456-2-1-32-/);
      expect(await v2.verify(u?.password?.phc ?? '', `password of ${id}`)).toBe(true);
    }
    expect(await read('acme', 'active')).toEqual(activeBefore);
    const audit = await stores.uow.run('eu', (tx) => tx.audit.between(iso(0), iso(T0 + DAY), 'acme'));
    expect(audit.filter((a) => a.action === 'user.password_wrapped').map((a) => a.target).sort()).toEqual(['user/idle-1', 'user/idle-2']);
  });

  it('is idempotent: a second run (no body) wraps nothing', async () => {
    const before = await read('acme', 'idle-1');
    const res = await call({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ wrapped: 0, skipped: 0, failures: [] });
    expect(await read('acme', 'idle-1')).toEqual(before);
  });
});
