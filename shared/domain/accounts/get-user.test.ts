import { describe, expect, it } from 'vitest';
import { accountsWorld, expectRefusal, tenantAdmin } from '../../testing/accounts-world.ts';
import { getUser } from './get-user.ts';

const REQ = 'req-admin-1';

describe('getUser', () => {
  it('returns the admin view without password material, and audits the read', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', email: 'erin@example.com' }, 'a long and unremarkable passphrase');
    const r = await getUser(w.deps, { principal: tenantAdmin('acme', 'adm-1'), tenantId: 'acme', requestId: REQ, userId: 'u1' });
    if (!r.ok) throw r.error;
    expect(r.value).toMatchObject({ user_id: 'u1', email: 'erin@example.com', has_password: true, hash_version: 2, status: 'active' });
    expect(JSON.stringify(r.value)).not.toMatch(/argon2|phc/);
    expect(await w.outbox()).toEqual([]);
    expect(await w.audit()).toMatchObject([{ action: 'user.read', actor: { type: 'admin', id: 'adm-1' }, event_id: null, target: 'user/u1' }]);
  });

  it('refuses another tenant (also a user id of that tenant), an unknown user, writing nothing', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'g1', tenant_id: 'globex' });
    await expectRefusal(w, () => getUser(w.deps, { principal: tenantAdmin('acme'), tenantId: 'globex', requestId: REQ, userId: 'g1' }), 'access_denied');
    await expectRefusal(w, () => getUser(w.deps, { principal: tenantAdmin('acme'), tenantId: 'acme', requestId: REQ, userId: 'g1' }), 'not_found');
  });
});
