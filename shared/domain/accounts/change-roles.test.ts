import { describe, expect, it } from 'vitest';
import { accountsWorld, BOOTSTRAP, expectRefusal, PLATFORM_ADMIN, tenantAdmin } from '../../testing/accounts-world.ts';
import { changeRoles } from './change-roles.ts';

const REQ = 'req-admin-1';

describe('changeRoles', () => {
  it('replaces the roles with the outbox event and the audit event (actor), in one transaction', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', roles: ['member'] });
    const before = w.commits();
    const r = await changeRoles(w.deps, { principal: tenantAdmin('acme', 'adm-1'), tenantId: 'acme', requestId: REQ, userId: 'u1', roles: ['member', 'billing'] });
    if (!r.ok) throw r.error;
    expect(r.value.changed).toBe(true);
    expect(w.commits()).toBe(before + 1);
    expect((await w.user('acme', 'u1'))?.roles).toEqual(['member', 'billing']);
    const [event] = await w.outbox();
    expect(event).toMatchObject({ type: 'iam.user.roles_changed.v1', data: { tenant_id: 'acme', user_id: 'u1', roles: ['member', 'billing'], previous_roles: ['member'] } });
    expect((await w.audit())[0]).toMatchObject({ action: 'user.roles_changed', actor: { type: 'admin', id: 'adm-1' }, event_id: event?.id, request_id: REQ });
  });

  it('changes nothing and writes nothing for the same set of roles', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', roles: ['a', 'b'] });
    const before = w.commits();
    const r = await changeRoles(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'u1', roles: ['b', 'a'] });
    expect(r.ok && r.value.changed).toBe(false);
    expect(w.commits()).toBe(before);
  });

  it('lets the platform grant and remove reserved roles', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', roles: ['member'] });
    expect((await changeRoles(w.deps, { principal: PLATFORM_ADMIN, tenantId: 'acme', requestId: REQ, userId: 'u1', roles: ['tenant_admin'] })).ok).toBe(true);
    expect((await changeRoles(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'u1', roles: [] })).ok).toBe(true);
    expect((await w.user('acme', 'u1'))?.roles).toEqual([]);
  });

  describe('refuses, writing nothing', () => {
    it('a tenant admin of another tenant', async () => {
      const w = await accountsWorld();
      await w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
      await expectRefusal(w, () => changeRoles(w.deps, { principal: tenantAdmin('globex'), tenantId: 'acme', requestId: REQ, userId: 'u1', roles: ['x'] }), 'access_denied');
    });

    it('a tenant admin granting or removing a reserved role, or touching an administrator', async () => {
      const w = await accountsWorld();
      await w.seedUser({ user_id: 'u1', tenant_id: 'acme', roles: ['member'] });
      await w.seedUser({ user_id: 'adm-2', tenant_id: 'acme', roles: ['tenant_admin', 'member'] });
      const admin = tenantAdmin('acme');
      await expectRefusal(w, () => changeRoles(w.deps, { principal: admin, tenantId: 'acme', requestId: REQ, userId: 'u1', roles: ['tenant_admin'] }), 'access_denied');
      await expectRefusal(w, () => changeRoles(w.deps, { principal: admin, tenantId: 'acme', requestId: REQ, userId: 'adm-2', roles: ['member'] }), 'access_denied');
      await expectRefusal(w, () => changeRoles(w.deps, { principal: admin, tenantId: 'acme', requestId: REQ, userId: 'adm-2', roles: ['tenant_admin', 'member', 'x'] }), 'access_denied');
    });

    it('an unknown user, and a user of another tenant (not_found)', async () => {
      const w = await accountsWorld();
      await w.seedUser({ user_id: 'g1', tenant_id: 'globex' });
      await expectRefusal(w, () => changeRoles(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'nobody', roles: [] }), 'not_found');
      await expectRefusal(w, () => changeRoles(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'g1', roles: [] }), 'not_found');
      expect((await w.user('globex', 'g1'))?.roles).toEqual(['member']);
    });

    it('an unknown tenant', async () => {
      const w = await accountsWorld();
      await expectRefusal(w, () => changeRoles(w.deps, { principal: BOOTSTRAP, tenantId: 'nope', requestId: REQ, userId: 'u1', roles: [] }), 'tenant_not_found');
    });
  });
});
