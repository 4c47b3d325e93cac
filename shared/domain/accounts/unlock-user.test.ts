import { describe, expect, it } from 'vitest';
import { accountsWorld, BOOTSTRAP, expectRefusal, tenantAdmin, type AccountsWorld } from '../../testing/accounts-world.ts';
import { lockoutKey, type LockoutCounter } from '../login/lockout.ts';
import { unlockUser } from './unlock-user.ts';

const REQ = 'req-admin-1';

async function counter(w: AccountsWorld, tenantId: string, email: string, ip: string): Promise<void> {
  const key = await lockoutKey(tenantId, email, ip);
  const c: LockoutCounter = { ...key, failures: 5, window_started_at: '2026-03-01T11:59:00.000Z', updated_at: '2026-03-01T11:59:30.000Z', locked_until: '2026-03-01T12:14:30.000Z' };
  await w.stores.uow.run('eu', async (tx) => tx.lockouts.put(c));
}

describe('unlockUser', () => {
  it('clears the counters of the account from every IP, and only those, with event and audit', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', email: 'carol@example.com' });
    await counter(w, 'acme', 'carol@example.com', '203.0.113.7');
    await counter(w, 'acme', 'carol@example.com', '198.51.100.9');
    await counter(w, 'acme', 'dave@example.com', '203.0.113.7');
    await counter(w, 'globex', 'carol@example.com', '203.0.113.7');
    const r = await unlockUser(w.deps, { principal: tenantAdmin('acme', 'adm-1'), tenantId: 'acme', requestId: REQ, userId: 'u1' });
    if (!r.ok) throw r.error;
    expect(r.value.cleared).toBe(2);
    const left = await w.stores.databases.regions.eu.query('lockouts', {});
    expect(left).toHaveLength(2);
    const [event] = await w.outbox();
    expect(event).toMatchObject({ type: 'iam.user.unlocked.v1', data: { tenant_id: 'acme', user_id: 'u1' } });
    expect((await w.audit())[0]).toMatchObject({ action: 'user.unlocked', actor: { type: 'admin', id: 'adm-1' }, event_id: event?.id, details: { cleared_counters: 2 } });
  });

  it('records an unlock with nothing locked', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
    const r = await unlockUser(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'u1' });
    expect(r.ok && r.value.cleared).toBe(0);
    expect((await w.audit())[0]).toMatchObject({ actor: { type: 'platform', id: 'bootstrap' } });
  });

  it('refuses another tenant, an unknown user and an unknown tenant, writing nothing', async () => {
    const w = await accountsWorld();
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', email: 'carol@example.com' });
    await counter(w, 'acme', 'carol@example.com', '203.0.113.7');
    await expectRefusal(w, () => unlockUser(w.deps, { principal: tenantAdmin('globex'), tenantId: 'acme', requestId: REQ, userId: 'u1' }), 'access_denied');
    await expectRefusal(w, () => unlockUser(w.deps, { principal: BOOTSTRAP, tenantId: 'acme', requestId: REQ, userId: 'nobody' }), 'not_found');
    await expectRefusal(w, () => unlockUser(w.deps, { principal: BOOTSTRAP, tenantId: 'nope', requestId: REQ, userId: 'u1' }), 'tenant_not_found');
    expect(await w.stores.databases.regions.eu.query('lockouts', {})).toHaveLength(1);
  });
});
