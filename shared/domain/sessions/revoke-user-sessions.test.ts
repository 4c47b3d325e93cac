import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStores, type MemoryStores } from '../../adapters/memory/stores.ts';
import { AUDIT } from '../../adapters/store/audit-repo.ts';
import { SESSIONS } from '../../adapters/store/session-repo.ts';
import { USERS } from '../../adapters/store/user-repo.ts';
import { sessionsWorld, type SessionsWorld } from '../../testing/sessions-world.ts';
import { revokeUserSessions } from './revoke-user-sessions.ts';
import { REVOKE_BATCH_SIZE } from './session-revoked.ts';

const OPS = { type: 'platform', id: 'alice-ops' } as const;

describe('revokeUserSessions', () => {
  let w: SessionsWorld;
  let stores: MemoryStores;
  beforeEach(async () => {
    stores = createMemoryStores();
    w = await sessionsWorld(stores);
  });

  it(`revokes every family of the user in batches of ${REVOKE_BATCH_SIZE}, each audited with the operator, and nobody else's`, async () => {
    const n = 2 * REVOKE_BATCH_SIZE + 7;
    for (let i = 0; i < n; i++) await w.startFamily('acme', 'carol');
    const bobs = await w.startFamily('acme', 'bob');
    const globex = await w.startFamily('globex', 'carol');
    const commits = stores.databases.regions.eu.commits;
    const r = await revokeUserSessions(w.deps, { tenantId: 'acme', userId: 'carol', actor: OPS, requestId: 'req-3' });
    expect(r).toEqual({ ok: true, value: { revoked: n, alreadyRevoked: 0, batches: 3 } });
    expect(stores.databases.regions.eu.commits - commits).toBe(3);
    const families = (await stores.databases.regions.eu.query(SESSIONS, {})).map((d) => d.data);
    expect(families.filter((f) => f['tenant_id'] === 'acme' && f['user_id'] === 'carol' && f['revoked_reason'] === 'admin_revoked_user')).toHaveLength(n);
    expect(families.find((f) => f['session_id'] === bobs.sessionId)).toMatchObject({ revoked_at: null });
    expect(families.find((f) => f['session_id'] === globex.sessionId)).toMatchObject({ revoked_at: null });
    const audit = (await stores.databases.regions.eu.query(AUDIT, {})).map((d) => d.data).filter((a) => a['action'] === 'session.revoked');
    expect(audit).toHaveLength(n);
    for (const a of audit) expect(a).toMatchObject({ tenant_id: 'acme', actor: OPS, request_id: 'req-3' });
    // Again: nothing left to revoke, nothing written.
    const again = await revokeUserSessions(w.deps, { tenantId: 'acme', userId: 'carol', actor: OPS });
    expect(again).toEqual({ ok: true, value: { revoked: 0, alreadyRevoked: n, batches: 0 } });
  });

  it('refuses an unknown tenant and a user the tenant has never seen, writing nothing', async () => {
    const commits = stores.databases.regions.eu.commits;
    const ghost = await revokeUserSessions(w.deps, { tenantId: 'ghost', userId: 'carol', actor: OPS });
    expect(!ghost.ok && ghost.error.code).toBe('tenant_not_found');
    const nobody = await revokeUserSessions(w.deps, { tenantId: 'acme', userId: 'nobody', actor: OPS });
    expect(!nobody.ok && nobody.error.code).toBe('not_found');
    expect(stores.databases.regions.eu.commits).toBe(commits);
  });

  it('a known user without families is no error', async () => {
    await stores.databases.regions.eu.runTransaction(async (tx) => tx.set(USERS, 'dave', { tenant_id: 'acme', user_id: 'dave' }));
    const r = await revokeUserSessions(w.deps, { tenantId: 'acme', userId: 'dave', actor: OPS });
    expect(r).toEqual({ ok: true, value: { revoked: 0, alreadyRevoked: 0, batches: 0 } });
  });
});
