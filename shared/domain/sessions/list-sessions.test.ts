import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../adapters/memory/stores.ts';
import { SESSIONS } from '../../adapters/store/session-repo.ts';
import { sessionsWorld, SESSIONS_T0, type SessionsWorld } from '../../testing/sessions-world.ts';
import { listSessions } from './list-sessions.ts';
import { revokeTenantSessions } from './revocation-epoch-tenant.ts';
import { revokeSession } from './revoke-session.ts';

describe('listSessions', () => {
  let w: SessionsWorld;
  beforeEach(async () => {
    w = await sessionsWorld(createMemoryStores());
  });
  const list = (tenantId: string, userId: string, currentSessionId: string) => listSessions(w.deps, { tenantId, userId, currentSessionId });

  it("lists the caller's live families newest first, with device, masked IP and current", async () => {
    const first = await w.startFamily('acme', 'alice', { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)', maskedIp: '2001:db8:1::/48' });
    w.clock.advance(60_000);
    const second = await w.startFamily('acme', 'alice');
    const sessions = await list('acme', 'alice', first.sessionId);
    expect(sessions).toEqual([
      {
        session_id: second.sessionId,
        created_at: new Date(SESSIONS_T0 + 60_000).toISOString(),
        last_used_at: new Date(SESSIONS_T0 + 60_000).toISOString(),
        device: expect.stringMatching(/Firefox/),
        ip: '203.0.113.0/24',
        current: false,
      },
      {
        session_id: first.sessionId,
        created_at: new Date(SESSIONS_T0).toISOString(),
        last_used_at: new Date(SESSIONS_T0).toISOString(),
        device: expect.stringMatching(/iPhone/),
        ip: '2001:db8:1::/48',
        current: true,
      },
    ]);
    // Never more than the view: no user id, client, amr or expiry leaks into the listing.
    expect(Object.keys(sessions[0] ?? {}).sort()).toEqual(['created_at', 'current', 'device', 'ip', 'last_used_at', 'session_id']);
  });

  it("never shows another user's or another tenant's families", async () => {
    const mine = await w.startFamily('acme', 'alice');
    await w.startFamily('acme', 'bob');
    await w.startFamily('globex', 'alice'); // same user id, another tenant of the same region
    await w.startFamily('umbrella', 'alice'); // another region
    expect((await list('acme', 'alice', mine.sessionId)).map((s) => s.session_id)).toEqual([mine.sessionId]);
    expect(await list('ghost', 'alice', mine.sessionId)).toEqual([]);
  });

  it('leaves out revoked, expired and epoch-revoked families', async () => {
    const revoked = await w.startFamily('acme', 'alice');
    await revokeSession(w.deps, { tenantId: 'acme', userId: 'alice', sessionId: revoked.sessionId, requestId: null });
    const old = await w.startFamily('acme', 'alice');
    await w.stores.databases.regions.eu.runTransaction(async (tx) => tx.update(SESSIONS, old.sessionId, { idle_expires_at: new Date(SESSIONS_T0 + 1000).toISOString() }));
    w.clock.advance(2000);
    const live = await w.startFamily('acme', 'alice');
    expect((await list('acme', 'alice', live.sessionId)).map((s) => s.session_id)).toEqual([live.sessionId]);
    w.clock.advance(1000);
    await revokeTenantSessions(w.deps, { tenantId: 'acme', actor: { type: 'admin', id: 'ops' }, reason: 'incident' });
    expect(await list('acme', 'alice', live.sessionId)).toEqual([]);
  });
});
