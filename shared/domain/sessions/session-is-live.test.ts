import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../adapters/memory/stores.ts';
import { aSession } from '../../adapters/store/contracts/session-repo.contract.ts';
import { instant } from '../../adapters/store/contracts/fixtures.ts';
import { sessionsWorld, type SessionsWorld } from '../../testing/sessions-world.ts';
import { revokeAllSessions } from './revocation-epoch-platform.ts';
import { revokeTenantSessions } from './revocation-epoch-tenant.ts';
import { PLATFORM_SCOPE } from './revocation-epoch.ts';
import { revokeSession } from './revoke-session.ts';
import { sessionIsLive, sessionState } from './session-is-live.ts';
import { platformUnitOfWork } from '../../adapters/store/platform-unit-of-work.ts';

const ADMIN = { type: 'admin', id: 'ops' } as const;

describe('sessionState', () => {
  const s = aSession('t1', 'u1', 's1', 10); // created instant(10), idle until instant(3610), absolute instant(7210)
  const none = { platform: undefined, tenant: undefined };

  it('is live inside both lifetimes with no epoch', () => {
    expect(sessionState(s, none, instant(11))).toBe('live');
    expect(sessionState(s, none, instant(3609))).toBe('live');
  });

  it('is revoked when revoked_at is set, before anything else', () => {
    expect(sessionState({ ...s, revoked_at: instant(20), revoked_reason: 'logout' }, none, instant(11))).toBe('revoked');
  });

  it('expires AT its idle and absolute instants', () => {
    expect(sessionState(s, none, instant(3610))).toBe('idle_expired');
    expect(sessionState({ ...s, idle_expires_at: instant(9000) }, none, instant(7210))).toBe('absolute_expired');
  });

  it('falls under a platform or tenant epoch at or after its creation, not before', () => {
    expect(sessionState(s, { platform: { epoch: instant(10) }, tenant: undefined }, instant(11))).toBe('platform_epoch');
    expect(sessionState(s, { platform: undefined, tenant: { tenant_id: 't1', epoch: instant(10) } }, instant(11))).toBe('tenant_epoch');
    expect(sessionState(s, { platform: { epoch: instant(9) }, tenant: { tenant_id: 't1', epoch: instant(9) } }, instant(11))).toBe('live');
  });
});

describe('sessionIsLive (the Bearer live-session check)', () => {
  let w: SessionsWorld;
  let check: ReturnType<typeof sessionIsLive>;
  beforeEach(async () => {
    w = await sessionsWorld(createMemoryStores());
    check = sessionIsLive(w.deps);
  });

  it("accepts the token's own live family", async () => {
    const { sessionId } = await w.startFamily('acme', 'alice');
    expect(await check({ tid: 'acme', sub: 'alice', sid: sessionId })).toBe(true);
  });

  it('refuses a family of another user of the same tenant', async () => {
    const { sessionId } = await w.startFamily('acme', 'bob');
    expect(await check({ tid: 'acme', sub: 'alice', sid: sessionId })).toBe(false);
  });

  it('refuses a family of another tenant, same region and another region, even with the same user id', async () => {
    const globex = await w.startFamily('globex', 'alice');
    const umbrella = await w.startFamily('umbrella', 'alice');
    expect(await check({ tid: 'acme', sub: 'alice', sid: globex.sessionId })).toBe(false);
    expect(await check({ tid: 'acme', sub: 'alice', sid: umbrella.sessionId })).toBe(false);
  });

  it('refuses an unknown family and an unknown tenant', async () => {
    expect(await check({ tid: 'acme', sub: 'alice', sid: 'nope' })).toBe(false);
    expect(await check({ tid: 'ghost', sub: 'alice', sid: 'nope' })).toBe(false);
  });

  it('refuses a revoked family at once', async () => {
    const { sessionId } = await w.startFamily('acme', 'alice');
    const r = await revokeSession(w.deps, { tenantId: 'acme', userId: 'alice', sessionId, requestId: null });
    expect(r.ok).toBe(true);
    expect(await check({ tid: 'acme', sub: 'alice', sid: sessionId })).toBe(false);
  });

  it('refuses a family past its idle lifetime', async () => {
    const { sessionId } = await w.startFamily('acme', 'alice');
    w.clock.advance(14 * 86_400_000); // the default idle lifetime
    expect(await check({ tid: 'acme', sub: 'alice', sid: sessionId })).toBe(false);
  });

  it("refuses families under their tenant's epoch, not another tenant's", async () => {
    const acme = await w.startFamily('acme', 'alice');
    const globex = await w.startFamily('globex', 'alice');
    w.clock.advance(1000);
    await revokeTenantSessions(w.deps, { tenantId: 'acme', actor: ADMIN, reason: 'incident' });
    w.clock.advance(1000);
    const later = await w.startFamily('acme', 'alice');
    expect(await check({ tid: 'acme', sub: 'alice', sid: acme.sessionId })).toBe(false);
    expect(await check({ tid: 'globex', sub: 'alice', sid: globex.sessionId })).toBe(true);
    expect(await check({ tid: 'acme', sub: 'alice', sid: later.sessionId })).toBe(true);
  });

  it('refuses every family under the platform epoch', async () => {
    const acme = await w.startFamily('acme', 'alice');
    const umbrella = await w.startFamily('umbrella', 'bob');
    w.clock.advance(1000);
    await revokeAllSessions({ platformUow: platformUnitOfWork(w.stores.databases.platform), clock: w.clock, random: w.deps.random }, { actor: ADMIN, reason: 'incident' });
    expect((await w.platformEpochs.current())?.tenant_id).toBe(PLATFORM_SCOPE);
    expect(await check({ tid: 'acme', sub: 'alice', sid: acme.sessionId })).toBe(false);
    expect(await check({ tid: 'umbrella', sub: 'bob', sid: umbrella.sessionId })).toBe(false);
  });
});
