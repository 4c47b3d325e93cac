import { describe, expect, it } from 'vitest';
import { accountsWorld, BOOTSTRAP, expectRefusal, PLATFORM_ADMIN, tenantAdmin } from '../../testing/accounts-world.ts';
import type { SessionFamily } from '../sessions/session.ts';
import { disableUser, INLINE_REVOCATIONS } from './disable-user.ts';

const REQ = 'req-admin-1';

function family(userId: string, sessionId: string, revoked = false): SessionFamily {
  return {
    session_id: sessionId,
    tenant_id: 'acme',
    user_id: userId,
    client_id: 'web',
    created_at: '2026-03-01T10:00:00.000Z',
    last_used_at: '2026-03-01T11:00:00.000Z',
    idle_expires_at: '2026-03-15T11:00:00.000Z',
    absolute_expires_at: '2026-05-30T10:00:00.000Z',
    device: 'Firefox on Linux',
    device_id: null,
    ip: '203.0.113.0/24',
    amr: ['pwd'],
    acr: 'urn:melmastoon:acr:pwd',
    revoked_at: revoked ? '2026-03-01T10:30:00.000Z' : null,
    revoked_reason: revoked ? 'logout' : null,
  };
}

describe('disableUser', () => {
  it('disables the user and revokes its live sessions, with event and audit, in one transaction', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
    await w.seedUser({ user_id: 'u2', tenant_id: 'acme' });
    await w.stores.uow.run('eu', async (tx) => {
      tx.sessions.create(family('u1', 's1'));
      tx.sessions.create(family('u1', 's2', true));
      tx.sessions.create(family('u2', 's3'));
    });
    const before = w.commits();
    const r = await disableUser(w.deps, { principal: tenantAdmin('acme', 'adm-1'), tenantId: 'acme', requestId: REQ, userId: 'u1' });
    if (!r.ok) throw r.error;
    expect(w.commits()).toBe(before + 1);
    expect(r.value).toMatchObject({ changed: true, revokedSessions: 1 });
    expect((await w.user('acme', 'u1'))?.status).toBe('disabled');
    const sessions = await w.stores.uow.run('eu', async (tx) => ({
      s1: await tx.sessions.get('acme', 's1'),
      s2: await tx.sessions.get('acme', 's2'),
      s3: await tx.sessions.get('acme', 's3'),
    }));
    expect(sessions.s1).toMatchObject({ revoked_at: '2026-03-01T12:00:00.000Z', revoked_reason: 'admin_revoked_user' });
    expect(sessions.s2).toMatchObject({ revoked_reason: 'logout' });
    expect(sessions.s3?.revoked_at).toBeNull();
    const outbox = await w.outbox();
    const disabled = outbox.find((e) => e.type === 'iam.user.disabled.v1');
    expect(disabled).toMatchObject({ data: { tenant_id: 'acme', user_id: 'u1' } });
    expect(outbox.filter((e) => e.type === 'iam.session.revoked.v1').map((e) => e.data['session_id'])).toEqual(['s1']);
    expect(outbox).toHaveLength(2);
    const audit = await w.audit();
    expect(audit.find((a) => a.action === 'user.disabled')).toMatchObject({ actor: { type: 'admin', id: 'adm-1' }, event_id: disabled?.id, details: { revoked_sessions: 1 } });
    expect(audit.find((a) => a.action === 'session.revoked')).toMatchObject({ actor: { type: 'admin', id: 'adm-1' }, target: 'session/s1' });
  });

  it('revokes more families than fit one transaction: the first inline, the rest in batches right after', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
    const n = INLINE_REVOCATIONS + 51;
    for (let i = 0; i < n; i += 100) {
      await w.stores.uow.run('eu', async (tx) => {
        for (let k = i; k < Math.min(n, i + 100); k++) tx.sessions.create(family('u1', `s${String(k).padStart(4, '0')}`));
      });
    }
    const r = await disableUser(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'u1' });
    if (!r.ok) throw r.error;
    expect(r.value.revokedSessions).toBe(n);
    const live = await w.stores.uow.run('eu', async (tx) => (await tx.sessions.listForUser('acme', 'u1')).filter((f) => f.revoked_at === null));
    expect(live).toEqual([]);
    expect((await w.user('acme', 'u1'))?.status).toBe('disabled');
  });

  it('is idempotent: a disabled user stays as it is and nothing is written', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', status: 'disabled' });
    const before = w.commits();
    const r = await disableUser(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'u1' });
    expect(r.ok && r.value.changed).toBe(false);
    expect(w.commits()).toBe(before);
  });

  it('refuses: another tenant, an administrator by a tenant admin, oneself, unknown user; writing nothing', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
    await w.seedUser({ user_id: 'adm-2', tenant_id: 'acme', roles: ['tenant_admin'] });
    await expectRefusal(w, () => disableUser(w.deps, { principal: tenantAdmin('globex'), tenantId: 'acme', requestId: REQ, userId: 'u1' }), 'access_denied');
    await expectRefusal(w, () => disableUser(w.deps, { principal: tenantAdmin('acme'), tenantId: 'acme', requestId: REQ, userId: 'adm-2' }), 'access_denied');
    await expectRefusal(w, () => disableUser(w.deps, { principal: tenantAdmin('acme', 'adm-2'), tenantId: 'acme', requestId: REQ, userId: 'adm-2' }), 'access_denied');
    await expectRefusal(w, () => disableUser(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'nobody' }), 'not_found');
    expect((await w.user('acme', 'adm-2'))?.status).toBe('active');
    // The platform may disable an administrator.
    expect((await disableUser(w.deps, { principal: PLATFORM_ADMIN, tenantId: 'acme', requestId: REQ, userId: 'adm-2' })).ok).toBe(true);
  });
});
