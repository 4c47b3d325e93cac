/**
 * `iamctl sessions revoke` in process over in-memory stores whose databases
 * count every committed write. Acceptance (issue 4): `--tenant T` on a tenant
 * holding 10,000 session families takes ONE transaction writing the epoch
 * (plus its audit and event rows), touches no session, and every one of the
 * 10,000 families is then refused on refresh and gone from listings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRefreshGraceCipher, ensureLocalRefreshGraceSecret } from '../../../../shared/adapters/crypto/refresh-grace-secrets.ts';
import { createLocalKeyRing } from '../../../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../../../shared/adapters/local/local-key-ring-memory.ts';
import { createLocalSecretSource } from '../../../../shared/adapters/local/local-secret-source.ts';
import { createMemoryStores } from '../../../../shared/adapters/memory/stores.ts';
import { createMemoryPublisher, type MemoryPublisher } from '../../../../shared/adapters/pubsub/memory-publisher.ts';
import { AUDIT } from '../../../../shared/adapters/store/audit-repo.ts';
import { OUTBOX } from '../../../../shared/adapters/store/outbox-repo.ts';
import { REVOCATION_EPOCHS } from '../../../../shared/adapters/store/revocation-repo.ts';
import { SESSIONS } from '../../../../shared/adapters/store/session-repo.ts';
import { assembleStores, type Stores } from '../../../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { listSessions } from '../../../../shared/domain/sessions/list-sessions.ts';
import { rotateRefreshToken } from '../../../../shared/domain/sessions/rotate-refresh-token.ts';
import { sessionIsLive } from '../../../../shared/domain/sessions/session-is-live.ts';
import { REGIONS, type Region } from '../../../../shared/domain/tenants/tenant.ts';
import { testEnv, testProjectId } from '../../../../shared/testing/emulator.ts';
import { countingDatabase, seedFamilies, sessionsWorld, type CountingDatabase } from '../../../../shared/testing/sessions-world.ts';
import type { CommandContext, CommandResult } from '../../command.ts';
import revoke from './revoke.ts';

const FAMILIES = 10_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Counted {
  readonly stores: Stores;
  readonly regions: Readonly<Record<Region, CountingDatabase>>;
  readonly platform: CountingDatabase;
  readonly publisher: MemoryPublisher;
  run(args: Record<string, unknown>): Promise<CommandResult>;
}

/** In-memory stores seen through counting databases, and a command runner over them. */
function counted(base: Stores): Counted {
  const regions = Object.fromEntries(REGIONS.map((r) => [r, countingDatabase(base.databases.regions[r])])) as Record<Region, CountingDatabase>;
  const platform = countingDatabase(base.databases.platform);
  const stores = assembleStores(regions, platform);
  const publisher = createMemoryPublisher();
  const config = loadConfig(testEnv(testProjectId('sessions-revoke')));
  const ctx: CommandContext = {
    json: true,
    cwd: process.cwd(),
    target: async () => ({ config, source: 'test', local: true }),
    stores: async () => stores,
    publisher: async () => publisher,
    progress: () => undefined,
  };
  return {
    stores,
    regions,
    platform,
    publisher,
    run: (args) => revoke.run(ctx, { all: false, reason: 'admin', actor: 'alice-ops', ...args } as never),
  };
}

const total = (c: Counted) => Object.values(c.regions).reduce((n, d) => n + d.writes(), 0) + c.platform.writes();
const transactions = (c: Counted) => Object.values(c.regions).reduce((n, d) => n + d.commits.length, 0) + c.platform.commits.length;

describe('iamctl sessions revoke (in memory, writes counted)', () => {
  it(`--tenant on a tenant with ${FAMILIES} families: 1 transaction, 1 epoch write (+1 audit +1 outbox), 0 session writes; all ${FAMILIES} then refused on refresh and listing`, async () => {
    const base = createMemoryStores();
    const w = await sessionsWorld(base);
    const seeded = await seedFamilies(base, { tenantId: 'acme', region: 'eu', count: FAMILIES, users: 100, nowMs: w.clock.now() });
    const other = await seedFamilies(base, { tenantId: 'globex', region: 'eu', count: 5, users: 1, nowMs: w.clock.now(), userPrefix: 'g' });
    expect((await base.databases.regions.eu.query(SESSIONS, { where: [['tenant_id', '==', 'acme']] })).length).toBe(FAMILIES);

    const c = counted(base);
    const result = await c.run({ tenant: 'acme' });
    expect(result.failure).toBeUndefined();
    expect(result.json).toMatchObject({ scope: 'tenant', tenant_id: 'acme', actor: 'alice-ops', reason: 'admin', version: 1 });
    // The count, shown: one transaction; its documents are the epoch, its audit event and its outbox event.
    const writes = c.regions.eu.commits.flat().map((x) => `${x.kind} ${x.collection}/${x.id}`);
    console.info(`--tenant on ${FAMILIES} families: ${transactions(c)} transaction(s), ${total(c)} document writes: ${writes.join(', ')}`);
    expect(transactions(c)).toBe(1);
    expect(c.regions.eu.commits[0]?.filter((x) => x.collection === REVOCATION_EPOCHS).map((x) => x.id)).toEqual(['acme']);
    expect(c.regions.eu.commits[0]?.map((x) => x.collection).sort()).toEqual([AUDIT, OUTBOX, REVOCATION_EPOCHS]);
    expect(writes.filter((x) => x.includes(SESSIONS))).toEqual([]);
    expect(total(c)).toBe(3);

    // Every one of the 10,000 is refused: the live check, the listing, and the refresh itself.
    const live = sessionIsLive(w.deps);
    const users = [...new Set(seeded.map((s) => s.userId))];
    for (const userId of users) {
      expect(await listSessions(w.deps, { tenantId: 'acme', userId, currentSessionId: '' })).toEqual([]);
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'iam-revoke-'));
    dirs.push(dir);
    ensureLocalRefreshGraceSecret(dir);
    const refreshDeps = {
      ...w.deps,
      keyRing: createLocalKeyRing(memoryKeyStore(), { clock: w.clock }),
      issuer: 'http://127.0.0.1:8080',
      audience: 'melmastoon',
      graceCipher: createRefreshGraceCipher(createLocalSecretSource(dir)),
      risk: undefined,
    };
    const client = { ip: '203.0.113.7', maskedIp: '203.0.113.0/24', userAgent: 'test', requestId: 'req' };
    const reasons = new Map<string, number>();
    for (const s of seeded) {
      expect(await live({ tid: 'acme', sub: s.userId, sid: s.sessionId })).toBe(false);
      const r = await rotateRefreshToken(refreshDeps, { refreshToken: s.refreshToken, clientId: 'web', client });
      const reason = r.ok ? 'ISSUED' : r.error.reason;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    console.info(`refresh after --tenant: ${JSON.stringify(Object.fromEntries(reasons))}`);
    expect(Object.fromEntries(reasons)).toEqual({ tenant_epoch: FAMILIES });
    // Another tenant of the same region is untouched.
    for (const s of other) {
      const r = await rotateRefreshToken(refreshDeps, { refreshToken: s.refreshToken, clientId: 'web', client });
      expect(r.ok).toBe(true);
    }
  }, 240_000);

  it('--all: one platform transaction (epoch, audit, outbox), the event published; every tenant refused', async () => {
    const base = createMemoryStores();
    const w = await sessionsWorld(base);
    const acme = await w.startFamily('acme', 'alice');
    const umbrella = await w.startFamily('umbrella', 'bob');
    w.clock.advance(1000);
    const c = counted(base);
    const result = await c.run({ all: true });
    expect(result.json).toMatchObject({ scope: 'platform', actor: 'alice-ops', version: 1, event_published: true });
    expect(c.platform.commits[0]?.map((x) => x.collection).sort()).toEqual([AUDIT, OUTBOX, REVOCATION_EPOCHS]);
    expect(Object.values(c.regions).every((d) => d.commits.length === 0)).toBe(true);
    expect(c.publisher.messages.map((m) => m.attributes['ce-type'])).toEqual(['iam.session.mass_revoked.v1']);
    const live = sessionIsLive(w.deps);
    expect(await live({ tid: 'acme', sub: 'alice', sid: acme.sessionId })).toBe(false);
    expect(await live({ tid: 'umbrella', sub: 'bob', sid: umbrella.sessionId })).toBe(false);
  });

  it("--user --tenant: every family of that user, each audited with the operator; nobody else's", async () => {
    const base = createMemoryStores();
    const w = await sessionsWorld(base);
    const mine = [await w.startFamily('acme', 'carol'), await w.startFamily('acme', 'carol')];
    const bobs = await w.startFamily('acme', 'bob');
    const c = counted(base);
    const result = await c.run({ user: 'carol', tenant: 'acme' });
    expect(result.json).toEqual({ scope: 'user', tenant_id: 'acme', user_id: 'carol', actor: 'alice-ops', revoked: 2, already_revoked: 0, batches: 1 });
    const live = sessionIsLive(w.deps);
    for (const m of mine) expect(await live({ tid: 'acme', sub: 'carol', sid: m.sessionId })).toBe(false);
    expect(await live({ tid: 'acme', sub: 'bob', sid: bobs.sessionId })).toBe(true);
    const audit = (await base.databases.regions.eu.query(AUDIT, {})).map((d) => d.data).filter((a) => a['action'] === 'session.revoked');
    expect(audit.map((a) => a['actor'])).toEqual([
      { type: 'platform', id: 'alice-ops' },
      { type: 'platform', id: 'alice-ops' },
    ]);
  });

  it('refuses bad flag combinations and unknown tenants or users, writing nothing', async () => {
    const base = createMemoryStores();
    await sessionsWorld(base);
    const c = counted(base);
    await expect(c.run({})).rejects.toThrow(/say whose sessions/);
    await expect(c.run({ user: 'carol' })).rejects.toThrow(/--user needs --tenant/);
    await expect(c.run({ all: true, tenant: 'acme' })).rejects.toThrow(/--all goes alone/);
    await expect(c.run({ tenant: 'ghost' })).rejects.toMatchObject({ code: 'tenant_not_found' });
    await expect(c.run({ user: 'nobody', tenant: 'acme' })).rejects.toMatchObject({ code: 'not_found' });
    expect(total(c)).toBe(0);
  });
});
