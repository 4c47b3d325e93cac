import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../adapters/memory/stores.ts';
import { AUDIT } from '../../adapters/store/audit-repo.ts';
import { OUTBOX } from '../../adapters/store/outbox-repo.ts';
import { sessionsWorld, type SessionsWorld } from '../../testing/sessions-world.ts';
import { revokeOtherSessions } from './revoke-other-sessions.ts';
import { sessionIsLive } from './session-is-live.ts';
import { SESSION_REVOKED_EVENT } from './session-revoked.ts';

describe('revokeOtherSessions', () => {
  let w: SessionsWorld;
  beforeEach(async () => {
    w = await sessionsWorld(createMemoryStores());
  });

  it("revokes every other family of the user, keeps the current one, and touches nobody else's", async () => {
    const current = await w.startFamily('acme', 'alice');
    const others = [await w.startFamily('acme', 'alice'), await w.startFamily('acme', 'alice')];
    const bobs = await w.startFamily('acme', 'bob');
    const globex = await w.startFamily('globex', 'alice');
    const r = await revokeOtherSessions(w.deps, { tenantId: 'acme', userId: 'alice', currentSessionId: current.sessionId, requestId: 'req-2' });
    expect(r).toEqual({ revoked: 2 });
    const live = sessionIsLive(w.deps);
    expect(await live({ tid: 'acme', sub: 'alice', sid: current.sessionId })).toBe(true);
    for (const o of others) expect(await live({ tid: 'acme', sub: 'alice', sid: o.sessionId })).toBe(false);
    expect(await live({ tid: 'acme', sub: 'bob', sid: bobs.sessionId })).toBe(true);
    expect(await live({ tid: 'globex', sub: 'alice', sid: globex.sessionId })).toBe(true);
    const eu = w.stores.databases.regions.eu;
    const events = (await eu.query(OUTBOX, {})).map((d) => d.data).filter((d) => d['type'] === SESSION_REVOKED_EVENT);
    expect(events.map((e) => e['subject']).sort()).toEqual(others.map((o) => `session/${o.sessionId}`).sort());
    const audit = (await eu.query(AUDIT, {})).map((d) => d.data).filter((d) => d['action'] === 'session.revoked');
    expect(audit).toHaveLength(2);
    for (const a of audit) expect(a).toMatchObject({ actor: { type: 'user', id: 'alice' }, request_id: 'req-2', details: { reason: 'user_revoked_others' } });
  });

  it('with no other family, revokes nothing and writes nothing', async () => {
    const current = await w.startFamily('acme', 'alice');
    const before = (await w.stores.databases.regions.eu.query(OUTBOX, {})).length;
    expect(await revokeOtherSessions(w.deps, { tenantId: 'acme', userId: 'alice', currentSessionId: current.sessionId, requestId: null })).toEqual({ revoked: 0 });
    expect((await w.stores.databases.regions.eu.query(OUTBOX, {})).length).toBe(before);
  });
});
