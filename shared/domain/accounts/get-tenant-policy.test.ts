import { describe, expect, it } from 'vitest';
import { accountsWorld, BOOTSTRAP, expectRefusal, tenantAdmin } from '../../testing/accounts-world.ts';
import { getTenantPolicy } from './get-tenant-policy.ts';

const REQ = 'req-admin-1';

describe('getTenantPolicy', () => {
  it('returns the policy with defaults; audits a bootstrap read only', async () => {
    const w = await accountsWorld();
    const r = await getTenantPolicy(w.deps, { principal: tenantAdmin('acme'), tenantId: 'acme', requestId: REQ });
    if (!r.ok) throw r.error;
    expect(r.value).toMatchObject({ tenant_id: 'acme', region: 'eu', version: 1, policy: { lockout: { threshold: 5, unlock_after_seconds: 900 } } });
    expect(await w.audit()).toEqual([]);
    expect((await getTenantPolicy(w.deps, { principal: BOOTSTRAP, tenantId: 'umbrella', requestId: REQ })).ok).toBe(true);
    expect(await w.audit('me')).toMatchObject([{ action: 'tenant.policy_read', actor: { type: 'platform', id: 'bootstrap' }, target: 'tenant/umbrella' }]);
  });

  it('refuses another tenant, a non-admin, an unknown tenant', async () => {
    const w = await accountsWorld();
    await expectRefusal(w, () => getTenantPolicy(w.deps, { principal: tenantAdmin('globex'), tenantId: 'acme', requestId: REQ }), 'access_denied');
    await expectRefusal(w, () => getTenantPolicy(w.deps, { principal: { kind: 'user', tenant_id: 'acme', user_id: 'u', roles: [] }, tenantId: 'acme', requestId: REQ }), 'access_denied');
    await expectRefusal(w, () => getTenantPolicy(w.deps, { principal: BOOTSTRAP, tenantId: 'nope', requestId: REQ }), 'tenant_not_found');
  });
});
