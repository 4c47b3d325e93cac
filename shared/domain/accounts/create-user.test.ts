import { describe, expect, it } from 'vitest';
import { accountsWorld, BOOTSTRAP, PLATFORM_ADMIN, tenantAdmin, WORLD_T0, type AccountsWorld } from '../../testing/accounts-world.ts';
import type { IamError } from '../errors.ts';
import type { Result } from '../result.ts';
import { createUser, type CreateUserInput, type CreateUserOutcome } from './create-user.ts';

const GOOD = 'a long and unremarkable passphrase';

function input(overrides: Partial<CreateUserInput> = {}): CreateUserInput {
  return { principal: BOOTSTRAP, tenantId: 'acme', requestId: 'req-create-1', email: '  Alice@Example.COM ', roles: ['member'], password: GOOD, ...overrides };
}

function refused(r: Result<CreateUserOutcome, IamError>): IamError {
  if (r.ok) throw new Error('expected a refusal');
  return r.error;
}

/** Calls createUser and asserts that it was refused with `code` and wrote nothing. */
async function expectRefusal(w: AccountsWorld, i: CreateUserInput, code: string): Promise<IamError> {
  const before = w.commits();
  const e = refused(await createUser(w.deps, i));
  expect(e.code).toBe(code);
  expect(w.commits()).toBe(before);
  expect(await w.outbox()).toEqual([]);
  expect(await w.audit()).toEqual([]);
  return e;
}

describe('createUser', () => {
  it('creates the user, its outbox event and its audit event in one transaction (bootstrap)', async () => {
    const w = await accountsWorld();
    const before = w.commits();
    const r = await createUser(w.deps, input());
    if (!r.ok) throw r.error;
    expect(w.commits()).toBe(before + 1);
    const { user } = r.value;
    expect(user).toMatchObject({ tenant_id: 'acme', email: 'alice@example.com', roles: ['member'], status: 'active', mfa_methods: [], last_login_at: null });
    expect(user.created_by).toEqual({ type: 'platform', id: 'bootstrap' });
    expect(user.created_at).toBe(new Date(WORLD_T0).toISOString());
    const stored = await w.user('acme', user.user_id);
    expect(stored).toEqual(user);
    expect(stored?.password?.hash_version).toBe(2);
    expect(stored?.password?.phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await w.hasher.verify(stored?.password?.phc ?? '', GOOD)).toBe(true);
    expect(r.value.breachCheck).toBe('clean');

    const [event, ...moreEvents] = await w.outbox();
    expect(moreEvents).toEqual([]);
    expect(event).toMatchObject({ type: 'iam.user.created.v1', tenant_id: 'acme', subject: `user/${user.user_id}`, ordering_key: `user/${user.user_id}` });
    expect(event?.data).toEqual({ tenant_id: 'acme', user_id: user.user_id, roles: ['member'], has_password: true });
    // No PII in the event or the audit record.
    expect(JSON.stringify(await w.outbox())).not.toContain('alice');
    const [audit, ...moreAudit] = await w.audit();
    expect(moreAudit).toEqual([]);
    expect(audit).toMatchObject({
      actor: { type: 'platform', id: 'bootstrap' },
      action: 'user.created',
      target: `user/${user.user_id}`,
      event_id: event?.id,
      request_id: 'req-create-1',
      details: { bootstrap: true, roles: ['member'], has_password: true, breach_check: 'clean' },
    });
    expect(JSON.stringify(audit)).not.toContain('alice');
  });

  it('lets a tenant admin create a user of its own tenant, recorded with the admin as actor', async () => {
    const w = await accountsWorld();
    const r = await createUser(w.deps, input({ principal: tenantAdmin('acme', 'adm-7'), password: undefined }));
    if (!r.ok) throw r.error;
    expect(r.value.user.password).toBeNull();
    expect(r.value.breachCheck).toBe('none');
    expect(w.breachList.checked).toEqual([]);
    expect((await w.audit())[0]).toMatchObject({ actor: { type: 'admin', id: 'adm-7' }, details: { actor_tenant_id: 'acme', as_platform: false } });
  });

  it('writes in the tenant region only', async () => {
    const w = await accountsWorld();
    const r = await createUser(w.deps, input({ tenantId: 'umbrella' }));
    if (!r.ok) throw r.error;
    expect(await w.user('umbrella', r.value.user.user_id, 'me')).toBeDefined();
    expect(await w.stores.databases.regions.eu.get('users', r.value.user.user_id)).toBeUndefined();
    expect((await w.outbox('me')).map((e) => e.type)).toEqual(['iam.user.created.v1']);
  });

  it('lets the platform grant reserved roles', async () => {
    const w = await accountsWorld();
    for (const principal of [BOOTSTRAP, PLATFORM_ADMIN]) {
      const r = await createUser(w.deps, input({ principal, email: `${principal.kind}@example.com`, roles: ['tenant_admin', 'platform_admin'] }));
      expect(r.ok).toBe(true);
    }
  });

  describe('refuses, writing nothing', () => {
    it('a tenant admin of another tenant (access_denied, before any read or breach check)', async () => {
      const w = await accountsWorld();
      await expectRefusal(w, input({ principal: tenantAdmin('globex'), tenantId: 'acme' }), 'access_denied');
      // Even for a tenant that does not exist: the answer does not depend on it.
      await expectRefusal(w, input({ principal: tenantAdmin('globex'), tenantId: 'no-such-tenant' }), 'access_denied');
      expect(w.breachList.checked).toEqual([]);
    });

    it('a user without an admin role', async () => {
      const w = await accountsWorld();
      await expectRefusal(w, input({ principal: { kind: 'user', tenant_id: 'acme', user_id: 'u', roles: ['member'] } }), 'access_denied');
    });

    it('a tenant admin granting a reserved role', async () => {
      const w = await accountsWorld();
      for (const roles of [['tenant_admin'], ['member', 'platform_admin']]) {
        const e = await expectRefusal(w, input({ principal: tenantAdmin('acme'), roles }), 'access_denied');
        expect(e.message).toContain('only the platform');
      }
    });

    it('an invalid email', async () => {
      const w = await accountsWorld();
      for (const email of ['not-an-email', 'a@b', 'a b@example.com', '']) await expectRefusal(w, input({ email }), 'invalid_request');
    });

    it('an unknown tenant', async () => {
      const w = await accountsWorld();
      await expectRefusal(w, input({ tenantId: 'no-such-tenant' }), 'tenant_not_found');
    });

    it('a duplicate email in the tenant, however it is written (conflict)', async () => {
      const w = await accountsWorld();
      const first = await createUser(w.deps, input({ email: 'bob@example.com' }));
      expect(first.ok).toBe(true);
      const before = w.commits();
      const outbox = await w.outbox();
      const e = refused(await createUser(w.deps, input({ email: ' BOB@EXAMPLE.com' })));
      expect(e.code).toBe('conflict');
      expect(w.commits()).toBe(before);
      expect(await w.outbox()).toEqual(outbox);
      // Another tenant may hold the same address.
      expect((await createUser(w.deps, input({ tenantId: 'globex', email: 'bob@example.com' }))).ok).toBe(true);
    });

    it('two parallel creations of one email: exactly one wins', async () => {
      const w = await accountsWorld();
      const results = await Promise.all(
        Array.from({ length: 4 }, () => createUser(w.deps, input({ email: 'race@example.com', password: undefined }))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.code))).toEqual(['conflict', 'conflict', 'conflict']);
      expect((await w.outbox()).filter((e) => e.type === 'iam.user.created.v1')).toHaveLength(1);
    });

    it('a short password: weak_password with the minimum', async () => {
      const w = await accountsWorld();
      const e = await expectRefusal(w, input({ password: 'elevenchars' }), 'weak_password');
      expect(e.fields).toEqual({ reason: 'too_short', min_length: 12 });
    });

    it('a password over 1024 bytes: weak_password too_long', async () => {
      const w = await accountsWorld();
      const e = await expectRefusal(w, input({ password: 'é'.repeat(513) }), 'weak_password');
      expect(e.fields).toEqual({ reason: 'too_long', max_bytes: 1024 });
    });

    it('ill-formed text (a lone surrogate)', async () => {
      const w = await accountsWorld();
      await expectRefusal(w, input({ password: `${'x'.repeat(12)}\ud800` }), 'invalid_request');
    });

    it('a breached password', async () => {
      const w = await accountsWorld();
      await expectRefusal(w, input({ password: 'correct horse battery staple' }), 'breached_password');
    });
  });

  it('accepts a password when the breach list cannot answer (fail open), and records it', async () => {
    const w = await accountsWorld();
    w.breachList.down = true;
    const r = await createUser(w.deps, input({ password: 'correct horse battery staple' }));
    if (!r.ok) throw r.error;
    expect(r.value.breachCheck).toBe('unknown');
    expect((await w.audit())[0]?.details).toMatchObject({ breach_check: 'unknown' });
  });

  it('accepts a 12-character password with no composition at all, and a long passphrase', async () => {
    const w = await accountsWorld();
    expect((await createUser(w.deps, input({ email: 'a@example.com', password: 'aaaaaaaaaaaa' }))).ok).toBe(true);
    expect((await createUser(w.deps, input({ email: 'b@example.com', password: 'ä'.repeat(512) }))).ok).toBe(true);
  });
});
