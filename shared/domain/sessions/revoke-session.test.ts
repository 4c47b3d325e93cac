import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../adapters/memory/stores.ts';
import { AUDIT } from '../../adapters/store/audit-repo.ts';
import { OUTBOX } from '../../adapters/store/outbox-repo.ts';
import { SESSIONS } from '../../adapters/store/session-repo.ts';
import { sessionsWorld, SESSIONS_T0, type SessionsWorld } from '../../testing/sessions-world.ts';
import { revokeSession } from './revoke-session.ts';
import { SESSION_REVOKED_EVENT } from './session-revoked.ts';

describe('revokeSession', () => {
  let w: SessionsWorld;
  beforeEach(async () => {
    w = await sessionsWorld(createMemoryStores());
  });
  const eu = () => w.stores.databases.regions.eu;
  const revoke = (tenantId: string, userId: string, sessionId: string) => revokeSession(w.deps, { tenantId, userId, sessionId, requestId: 'req-1' });

  it('revokes one family of the user, with iam.session.revoked.v1 and an audit event naming the user', async () => {
    const { sessionId } = await w.startFamily('acme', 'alice');
    const other = await w.startFamily('acme', 'alice');
    w.clock.advance(5000);
    const before = (await eu().query(OUTBOX, {})).length;
    const r = await revoke('acme', 'alice', sessionId);
    expect(r).toEqual({ ok: true, value: { revoked: true } });
    const at = new Date(SESSIONS_T0 + 5000).toISOString();
    expect(await eu().get(SESSIONS, sessionId)).toMatchObject({ revoked_at: at, revoked_reason: 'user_revoked' });
    expect(await eu().get(SESSIONS, other.sessionId)).toMatchObject({ revoked_at: null });
    const events = (await eu().query(OUTBOX, {})).map((d) => d.data).filter((d) => d['type'] === SESSION_REVOKED_EVENT);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: `session/${sessionId}`,
      ordering_key: 'user/alice',
      tenant_id: 'acme',
      data: { tenant_id: 'acme', user_id: 'alice', session_id: sessionId, reason: 'user_revoked', actor: { type: 'user', id: 'alice' }, revoked_at: at },
    });
    expect((await eu().query(OUTBOX, {})).length).toBe(before + 1);
    const audit = (await eu().query(AUDIT, {})).map((d) => d.data).filter((d) => d['action'] === 'session.revoked');
    expect(audit).toEqual([
      expect.objectContaining({ tenant_id: 'acme', actor: { type: 'user', id: 'alice' }, target: `session/${sessionId}`, event_id: events[0]?.['id'], request_id: 'req-1' }),
    ]);
  });

  it("answers not_found for another user's, another tenant's and an unknown family alike, writing nothing", async () => {
    const bobs = await w.startFamily('acme', 'bob');
    const globex = await w.startFamily('globex', 'alice');
    const umbrella = await w.startFamily('umbrella', 'alice');
    const outbox = async () => (await eu().query(OUTBOX, {})).length + (await w.stores.databases.regions.me.query(OUTBOX, {})).length;
    const before = await outbox();
    for (const [tenant, id] of [
      ['acme', bobs.sessionId],
      ['acme', globex.sessionId],
      ['acme', umbrella.sessionId],
      ['acme', 'no-such-session'],
      ['ghost', bobs.sessionId],
    ] as const) {
      const r = await revoke(tenant, 'alice', id);
      expect(r.ok, `${tenant} ${id}`).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('not_found');
        expect(r.error.message).toBe('no such session');
      }
    }
    for (const id of [bobs.sessionId, globex.sessionId]) expect(await eu().get(SESSIONS, id)).toMatchObject({ revoked_at: null });
    expect(await w.stores.databases.regions.me.get(SESSIONS, umbrella.sessionId)).toMatchObject({ revoked_at: null });
    expect(await outbox()).toBe(before);
  });

  it('succeeds without writing again for a family already revoked', async () => {
    const { sessionId } = await w.startFamily('acme', 'alice');
    await revoke('acme', 'alice', sessionId);
    const before = (await eu().query(OUTBOX, {})).length;
    expect(await revoke('acme', 'alice', sessionId)).toEqual({ ok: true, value: { revoked: false } });
    expect((await eu().query(OUTBOX, {})).length).toBe(before);
  });
});
