/**
 * A small world for session tests: stores (in memory, or any `Stores`) with
 * tenants `acme` and `globex` (eu) and `umbrella` (me), a frozen clock, the
 * platform epoch source, families started through the real login code
 * (`prepareSession`/`writeSession`), and a database wrapper that counts
 * committed writes.
 */
import { cryptoRandom, fixedClock } from '../adapters/local/clock.ts';
import { seedTenant } from '../adapters/store/contracts/fixtures.ts';
import { aUser } from '../adapters/store/contracts/user-repo.contract.ts';
import { REFRESH_TOKENS } from '../adapters/store/refresh-token-repo.ts';
import { SESSIONS } from '../adapters/store/session-repo.ts';
import type { DocDatabase, Write } from '../adapters/store/documents.ts';
import { platformEpochSource } from '../adapters/store/revocation-repo.ts';
import type { Stores } from '../adapters/store/stores.ts';
import type { PlatformEpochSource } from '../domain/ports.ts';
import { prepareSession, writeSession } from '../domain/sessions/start-session.ts';
import type { Region } from '../domain/tenants/tenant.ts';

/** 2026-03-01T12:00:00Z. */
export const SESSIONS_T0 = Date.UTC(2026, 2, 1, 12);

/** A database whose committed transactions' writes are recorded. */
export interface CountingDatabase extends DocDatabase {
  /** The writes of every committed transaction that wrote, in order. */
  readonly commits: (readonly Write[])[];
  /** Total documents written by committed transactions. */
  writes(): number;
}

/**
 * Wraps a database (memory or Firestore) and records the writes of each
 * COMMITTED transaction: a transaction re-run on contention is counted once,
 * with the writes of the run that committed.
 */
export function countingDatabase(db: DocDatabase): CountingDatabase {
  const commits: (readonly Write[])[] = [];
  return {
    name: db.name,
    commits,
    writes: () => commits.reduce((n, c) => n + c.length, 0),
    get: (c, id) => db.get(c, id),
    query: (c, q) => db.query(c, q),
    async runTransaction(fn, options) {
      let last: readonly Write[] = [];
      const result = await db.runTransaction(fn, {
        beforeCommit: async (writes, current) => {
          await options?.beforeCommit?.(writes, current);
          last = [...writes];
        },
      });
      if (last.length > 0) commits.push(last);
      return result;
    },
  };
}

/** The world of one test. */
export interface SessionsWorld {
  readonly stores: Stores;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly platformEpochs: PlatformEpochSource;
  /** The deps every session use case takes. */
  readonly deps: Pick<Stores, 'uow' | 'directory'> & {
    readonly clock: ReturnType<typeof fixedClock>;
    readonly random: typeof cryptoRandom;
    readonly platformEpochs: PlatformEpochSource;
  };
  /** Starts a family as a login does; returns its id and refresh token. */
  startFamily(tenantId: string, userId: string, options?: { readonly userAgent?: string; readonly maskedIp?: string }): Promise<{ sessionId: string; refreshToken: string }>;
}

/** Tenants of the world and their regions. */
export const WORLD_TENANTS: Readonly<Record<string, Region>> = { acme: 'eu', globex: 'eu', umbrella: 'me' };

/** Seeds the tenants into `stores` and returns the world over them. */
export async function sessionsWorld(stores: Stores): Promise<SessionsWorld> {
  for (const [id, region] of Object.entries(WORLD_TENANTS)) await seedTenant(stores, id, region);
  const clock = fixedClock(SESSIONS_T0);
  // No caching: a test raising the platform epoch sees it at once.
  const platformEpochs = platformEpochSource(stores.databases.platform, { clock, cacheTtlMs: 0 });
  const deps = { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom, platformEpochs };
  return {
    stores,
    clock,
    platformEpochs,
    deps,
    async startFamily(tenantId, userId, options = {}) {
      const region = WORLD_TENANTS[tenantId];
      if (region === undefined) throw new Error(`no tenant ${tenantId} in the world`);
      const tenant = await stores.uow.run(region, (tx) => tx.tenants.get(tenantId));
      if (tenant === undefined) throw new Error(`tenant ${tenantId} not seeded`);
      const prepared = await prepareSession(
        { random: cryptoRandom },
        {
          tenantId,
          userId,
          clientId: 'web',
          deviceId: null,
          userAgent: options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
          maskedIp: options.maskedIp ?? '203.0.113.0/24',
          amr: ['pwd'],
          acr: 'urn:melmastoon:acr:pwd',
          policy: tenant.policy.session,
          nowMs: clock.now(),
          requestId: null,
        },
      );
      await stores.uow.run(region, async (tx) => writeSession(tx, prepared));
      return { sessionId: prepared.session.session_id, refreshToken: prepared.refreshToken };
    },
  };
}

/** One seeded family. */
export interface SeededFamily {
  readonly sessionId: string;
  readonly userId: string;
  readonly refreshToken: string;
}

/**
 * Seeds `count` families of `tenantId` spread over `users` users (`u0`...),
 * with their first refresh tokens and the users themselves, written straight
 * into the region's database in batches of 400 documents (a fast setup for
 * 10,000 families on the emulator; the login path is `startFamily`).
 */
export async function seedFamilies(
  stores: Stores,
  input: {
    readonly tenantId: string;
    readonly region: Region;
    readonly count: number;
    readonly users: number;
    readonly nowMs: number;
    readonly userPrefix?: string;
    /** More families of this user, already stored (`users` is then ignored). */
    readonly existingUser?: string;
  },
): Promise<readonly SeededFamily[]> {
  const db = stores.databases.regions[input.region];
  const tenant = await stores.uow.run(input.region, (tx) => tx.tenants.get(input.tenantId));
  if (tenant === undefined) throw new Error(`tenant ${input.tenantId} not seeded`);
  const prefix = input.userPrefix ?? 'u';
  const userIds = input.existingUser !== undefined ? [input.existingUser] : Array.from({ length: input.users }, (_, i) => `${prefix}${i}`);
  for (const userId of input.existingUser !== undefined ? [] : userIds) {
    await stores.uow.run(input.region, async (tx) => tx.users.create(aUser(input.tenantId, userId)));
  }
  const seeded: SeededFamily[] = [];
  const docs: { collection: string; id: string; data: Record<string, unknown> }[] = [];
  for (let i = 0; i < input.count; i++) {
    const userId = userIds[i % userIds.length] as string;
    const p = await prepareSession(
      { random: cryptoRandom },
      {
        tenantId: input.tenantId,
        userId,
        clientId: 'web',
        deviceId: null,
        userAgent: undefined,
        maskedIp: '203.0.113.0/24',
        amr: ['pwd'],
        acr: 'urn:melmastoon:acr:pwd',
        policy: tenant.policy.session,
        nowMs: input.nowMs,
        requestId: null,
      },
    );
    docs.push({ collection: SESSIONS, id: p.session.session_id, data: { ...p.session } });
    docs.push({ collection: REFRESH_TOKENS, id: p.refreshRecord.token_hash, data: { ...p.refreshRecord } });
    seeded.push({ sessionId: p.session.session_id, userId, refreshToken: p.refreshToken });
  }
  for (let i = 0; i < docs.length; i += 400) {
    const chunk = docs.slice(i, i + 400);
    await db.runTransaction(async (tx) => {
      for (const d of chunk) tx.set(d.collection, d.id, d.data);
    });
  }
  return seeded;
}
