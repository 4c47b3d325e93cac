/**
 * `iamctl sessions revoke` against the Firestore emulator.
 *
 * Acceptance (issue 4): a tenant holding 10,000 session families (seeded with
 * batched writes straight into its region's database) is revoked with
 * `--tenant` in ONE transaction of three documents (the epoch, its audit and
 * outbox rows), counted by wrapping the Firestore databases, and by counting
 * the documents of every collection before and after; every one of the
 * 10,000 families is then refused (the live rule over all of them, the
 * listing of every user, the refresh of a sample). Then the real CLI, as a
 * child process: `--user`, `--all`, and a usage error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRefreshGraceCipher, ensureLocalRefreshGraceSecret } from '../../../../shared/adapters/crypto/refresh-grace-secrets.ts';
import { firestoreClient } from '../../../../shared/adapters/firestore/firestore-database.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../../../shared/adapters/firestore/stores.ts';
import { createLocalKeyRing } from '../../../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../../../shared/adapters/local/local-key-ring-memory.ts';
import { createLocalSecretSource } from '../../../../shared/adapters/local/local-secret-source.ts';
import { AUDIT } from '../../../../shared/adapters/store/audit-repo.ts';
import { OUTBOX } from '../../../../shared/adapters/store/outbox-repo.ts';
import { REFRESH_TOKENS } from '../../../../shared/adapters/store/refresh-token-repo.ts';
import { REVOCATION_EPOCHS } from '../../../../shared/adapters/store/revocation-repo.ts';
import { SESSIONS } from '../../../../shared/adapters/store/session-repo.ts';
import { assembleStores, type Stores } from '../../../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { listSessions } from '../../../../shared/domain/sessions/list-sessions.ts';
import { rotateRefreshToken } from '../../../../shared/domain/sessions/rotate-refresh-token.ts';
import { applicableEpochs, sessionIsLive, sessionState } from '../../../../shared/domain/sessions/session-is-live.ts';
import type { SessionFamily } from '../../../../shared/domain/sessions/session.ts';
import { REGIONS, type Region } from '../../../../shared/domain/tenants/tenant.ts';
import { testEnv, testProjectId } from '../../../../shared/testing/emulator.ts';
import { countingDatabase, seedFamilies, sessionsWorld, type CountingDatabase, type SeededFamily, type SessionsWorld } from '../../../../shared/testing/sessions-world.ts';
import type { CommandContext } from '../../command.ts';
import { runIamctl } from '../../testing/run.ts';
import revoke from './revoke.ts';

const FAMILIES = 10_000;
const projectId = testProjectId('sessions-revoke');
const env = testEnv(projectId);
const config = loadConfig(env);
let stores: Stores;
let w: SessionsWorld;
let seeded: readonly SeededFamily[];
const dir = mkdtempSync(path.join(tmpdir(), 'iam-revoke-e2e-'));

const COLLECTIONS = [SESSIONS, REFRESH_TOKENS, OUTBOX, AUDIT, REVOCATION_EPOCHS] as const;
/** Documents per collection of the eu database, by Firestore count() aggregation (cheap on 10,000 documents). */
async function documentCounts(): Promise<Record<string, number>> {
  const client = firestoreClient(projectId, config.databases.eu, { emulatorHost: config.emulators.firestore });
  const out: Record<string, number> = {};
  for (const c of COLLECTIONS) out[c] = (await client.collection(c).count().get()).data().count;
  return out;
}

beforeAll(async () => {
  stores = createFirestoreStores(config);
  w = await sessionsWorld(stores);
  const started = Date.now();
  seeded = await seedFamilies(stores, { tenantId: 'acme', region: 'eu', count: FAMILIES, users: 100, nowMs: w.clock.now() });
  console.info(`seeded ${FAMILIES} families (+ refresh tokens) on the emulator in ${Date.now() - started} ms`);
}, 300_000);

afterAll(async () => {
  await terminateFirestoreClients();
  rmSync(dir, { recursive: true, force: true });
});

describe(`iamctl sessions revoke --tenant on the Firestore emulator with ${FAMILIES} families`, () => {
  it(`takes ONE transaction of 3 documents (epoch, audit, outbox), changes no session, and all ${FAMILIES} families are refused after`, async () => {
    const eu = stores.databases.regions.eu;
    const before = await documentCounts();
    expect(before[SESSIONS]).toBe(FAMILIES);
    const regions = Object.fromEntries(REGIONS.map((r) => [r, countingDatabase(stores.databases.regions[r])])) as Record<Region, CountingDatabase>;
    const platform = countingDatabase(stores.databases.platform);
    const counted = assembleStores(regions, platform);
    const ctx: CommandContext = {
      json: true,
      cwd: process.cwd(),
      target: async () => ({ config, source: 'test', local: true }),
      stores: async () => counted,
      publisher: async () => {
        throw new Error('no publisher needed');
      },
      progress: () => undefined,
    };
    const result = await revoke.run(ctx, { tenant: 'acme', all: false, actor: 'alice-ops', reason: 'incident' } as never);
    expect(result.json).toMatchObject({ scope: 'tenant', tenant_id: 'acme', actor: 'alice-ops', reason: 'incident', version: 1 });

    const transactions = Object.values(regions).reduce((n, d) => n + d.commits.length, 0) + platform.commits.length;
    const writes = regions.eu.commits.flat().map((x) => `${x.kind} ${x.collection}`);
    const after = await documentCounts();
    const changed = Object.fromEntries(COLLECTIONS.map((c) => [c, (after[c] ?? 0) - (before[c] ?? 0)]));
    console.info(`--tenant on ${FAMILIES} families (emulator): ${transactions} transaction(s), ${writes.length} document writes [${writes.join(', ')}]; documents added per collection ${JSON.stringify(changed)}`);
    expect(transactions).toBe(1);
    expect(writes.sort()).toEqual([`create ${AUDIT}`, `create ${OUTBOX}`, `set ${REVOCATION_EPOCHS}`]);
    expect(changed).toEqual({ [SESSIONS]: 0, [REFRESH_TOKENS]: 0, [OUTBOX]: 1, [AUDIT]: 1, [REVOCATION_EPOCHS]: 1 });

    // Every family: untouched in storage, yet not live under the epoch.
    const now = new Date(w.clock.now()).toISOString();
    const { families, epochs } = await stores.uow.run('eu', async (tx) => ({
      families: (await eu.query(SESSIONS, { where: [['tenant_id', '==', 'acme']] })).map((d) => d.data as unknown as SessionFamily),
      epochs: await applicableEpochs(tx, w.platformEpochs, 'acme'),
    }));
    expect(families).toHaveLength(FAMILIES);
    const states = new Map<string, number>();
    for (const f of families) {
      expect(f.revoked_at).toBeNull();
      const s = sessionState(f, epochs, now);
      states.set(s, (states.get(s) ?? 0) + 1);
    }
    expect(Object.fromEntries(states)).toEqual({ tenant_epoch: FAMILIES });
    // Every user's listing is empty.
    const users = [...new Set(seeded.map((s) => s.userId))];
    for (let i = 0; i < users.length; i += 10) {
      const lists = await Promise.all(users.slice(i, i + 10).map((userId) => listSessions(w.deps, { tenantId: 'acme', userId, currentSessionId: '' })));
      expect(lists.flat()).toEqual([]);
    }
    // The Bearer check and the refresh itself, on a sample.
    ensureLocalRefreshGraceSecret(dir);
    const refreshDeps = {
      ...w.deps,
      keyRing: createLocalKeyRing(memoryKeyStore(), { clock: w.clock }),
      issuer: config.issuer,
      audience: config.audience,
      graceCipher: createRefreshGraceCipher(createLocalSecretSource(dir)),
      risk: undefined,
    };
    const live = sessionIsLive(w.deps);
    const sample = seeded.filter((_, i) => i % 200 === 0);
    for (const s of sample) {
      expect(await live({ tid: 'acme', sub: s.userId, sid: s.sessionId })).toBe(false);
      const r = await rotateRefreshToken(refreshDeps, {
        refreshToken: s.refreshToken,
        clientId: 'web',
        client: { ip: '203.0.113.7', maskedIp: '203.0.113.0/24', userAgent: 'test', requestId: 'req' },
      });
      expect(!r.ok && r.error.reason).toBe('tenant_epoch');
    }
  }, 300_000);
});

describe('iamctl sessions revoke as an operator runs it (child process, emulator)', () => {
  const iamctl = (args: readonly string[]) => runIamctl(['sessions', 'revoke', ...args], { GOOGLE_CLOUD_PROJECT: projectId, IAMCTL_STACK_FILE: '/nonexistent' });

  it('--user --tenant revokes every family of that user only, audited with --actor', async () => {
    const mine = await seedFamilies(stores, { tenantId: 'globex', region: 'eu', count: 3, users: 1, nowMs: w.clock.now(), userPrefix: 'gina' });
    const theirs = await seedFamilies(stores, { tenantId: 'globex', region: 'eu', count: 2, users: 1, nowMs: w.clock.now(), userPrefix: 'hank' });
    const r = await iamctl(['--user', 'gina0', '--tenant', 'globex', '--actor', 'alice-ops', '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toEqual({ scope: 'user', tenant_id: 'globex', user_id: 'gina0', actor: 'alice-ops', revoked: 3, already_revoked: 0, batches: 1 });
    const live = sessionIsLive(w.deps);
    for (const m of mine) expect(await live({ tid: 'globex', sub: m.userId, sid: m.sessionId })).toBe(false);
    for (const t of theirs) expect(await live({ tid: 'globex', sub: t.userId, sid: t.sessionId })).toBe(true);
    const audit = (await stores.databases.regions.eu.query(AUDIT, { where: [['tenant_id', '==', 'globex'], ['action', '==', 'session.revoked']] })).map((d) => d.data);
    expect(audit).toHaveLength(3);
    for (const a of audit) expect(a).toMatchObject({ tenant_id: 'globex', actor: { type: 'platform', id: 'alice-ops' } });
  }, 60_000);

  it('refuses --user without --tenant (exit 2) and an unknown tenant (exit 1), writing nothing', async () => {
    const before = await documentCounts();
    const usage = await iamctl(['--user', 'gina0', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.json).toMatchObject({ error: 'invalid_arguments' });
    const ghost = await iamctl(['--tenant', 'ghost', '--actor', 'alice-ops', '--json']);
    expect(ghost.code).toBe(1);
    expect(ghost.json).toMatchObject({ error: 'tenant_not_found' });
    expect(await documentCounts()).toEqual(before);
  }, 60_000);

  it('--all raises the platform epoch: one document in the platform database; umbrella (me) is refused too', async () => {
    const [fam] = await seedFamilies(stores, { tenantId: 'umbrella', region: 'me', count: 1, users: 1, nowMs: w.clock.now(), userPrefix: 'uma' });
    const r = await iamctl(['--all', '--actor', 'alice-ops', '--reason', 'incident', '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toMatchObject({ scope: 'platform', actor: 'alice-ops', reason: 'incident', version: 1 });
    expect((await stores.databases.platform.query(REVOCATION_EPOCHS, {})).map((d) => d.id)).toEqual(['_platform']);
    const live = sessionIsLive(w.deps);
    if (fam === undefined) throw new Error('not seeded');
    expect(await live({ tid: 'umbrella', sub: fam.userId, sid: fam.sessionId })).toBe(false);
  }, 60_000);
});
