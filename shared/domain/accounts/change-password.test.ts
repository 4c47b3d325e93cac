import { describe, expect, it } from 'vitest';
import { accountsWorld, type AccountsWorld } from '../../testing/accounts-world.ts';
import { lockoutKey } from '../login/lockout.ts';
import { changePassword, type ChangePasswordInput } from './change-password.ts';

const OLD = 'the old and long passphrase';
const NEW = 'a brand new and long passphrase';

function input(overrides: Partial<ChangePasswordInput> = {}): ChangePasswordInput {
  return { tenantId: 'acme', userId: 'u1', currentPassword: OLD, newPassword: NEW, clientIp: '198.51.100.1', requestId: 'req-pw-1', ...overrides };
}

async function world(): Promise<AccountsWorld> {
  const w = await accountsWorld();
  await w.seedUser({ user_id: 'u1', tenant_id: 'acme' }, OLD);
  return w;
}

/**
 * Asserts the refusal, that no event or audit was written and that the old
 * password still verifies (the lockout counter is the only write a refusal
 * may make: see the lockout tests).
 */
async function expectRefused(w: AccountsWorld, i: ChangePasswordInput, code: string): Promise<void> {
  const [outbox, audit] = [await w.outbox(), await w.audit()];
  const r = await changePassword(w.deps, i);
  if (r.ok) throw new Error(`expected ${code}`);
  expect(r.error.code).toBe(code);
  expect(await w.outbox()).toEqual(outbox);
  expect(await w.audit()).toEqual(audit);
  const stored = await w.user('acme', 'u1');
  if (stored?.password) expect(await w.hasher.verify(stored.password.phc, OLD)).toBe(true);
}

describe('changePassword', () => {
  it('verifies the current password, stores a current hash of the new one, with event and audit (actor: the user)', async () => {
    const w = await world();
    w.clock.advance(60_000);
    const r = await changePassword(w.deps, input());
    if (!r.ok) throw r.error;
    expect(r.value).toEqual({ breachCheck: 'clean', hashVersion: 2 });
    const stored = await w.user('acme', 'u1');
    expect(stored?.password?.changed_at).toBe('2026-03-01T12:01:00.000Z');
    expect(await w.hasher.verify(stored?.password?.phc ?? '', NEW)).toBe(true);
    expect(await w.hasher.verify(stored?.password?.phc ?? '', OLD)).toBe(false);
    const [event] = await w.outbox();
    expect(event).toMatchObject({ type: 'iam.user.password_changed.v1', data: { tenant_id: 'acme', user_id: 'u1' } });
    expect(await w.audit()).toMatchObject([{ action: 'user.password_changed', actor: { type: 'user', id: 'u1' }, event_id: event?.id, request_id: 'req-pw-1' }]);
  });

  it('rehashes with the current parameters: an old-version hash becomes the current version', async () => {
    const w = await accountsWorld({ hashVersion: 3 });
    const { createArgon2Hasher } = await import('../../adapters/node/argon2-hasher.ts');
    const old = createArgon2Hasher({ version: 1, params: { memoryKiB: 19_456, passes: 3, parallelism: 1 } });
    await w.seedUser({ user_id: 'u1', tenant_id: 'acme', password: { phc: await old.hash(OLD), hash_version: 1, changed_at: '2020-01-01T00:00:00.000Z' } });
    const r = await changePassword(w.deps, input());
    expect(r.ok).toBe(true);
    const stored = await w.user('acme', 'u1');
    expect(stored?.password?.hash_version).toBe(3);
    expect(w.hasher.needsRehash(stored?.password?.phc ?? '')).toBe(false);
  });

  it('accepts when the breach list is down (fail open), recording it in the audit', async () => {
    const w = await world();
    w.breachList.down = true;
    const r = await changePassword(w.deps, input({ newPassword: 'correct horse battery staple' }));
    expect(r.ok && r.value.breachCheck).toBe('unknown');
    expect((await w.audit())[0]?.details).toMatchObject({ breach_check: 'unknown' });
  });

  describe('under the login lockout (R-09): no unlimited guessing with an access token', () => {
    const wrong = (ip = '198.51.100.1') => input({ currentPassword: 'not the old passphrase', clientIp: ip });

    it('wrong current passwords count on the (account, IP) counter; at the threshold (5) even the right one is 429 account_locked, from that IP only', async () => {
      const w = await world();
      for (let i = 0; i < 5; i++) await expectRefused(w, wrong(), 'invalid_grant');
      const locked = await changePassword(w.deps, input());
      if (locked.ok) throw new Error('expected account_locked');
      expect(locked.error.code).toBe('account_locked');
      expect(locked.error.retryAfter).toBeGreaterThan(0);
      // The very counter a password login from that IP reads: the login is locked too.
      const key = await lockoutKey('acme', 'u1@example.com', '198.51.100.1');
      const counter = await w.stores.uow.run('eu', (tx) => tx.lockouts.get(key));
      expect(counter).toMatchObject({ failures: 5 });
      expect(counter?.locked_until).not.toBeNull();
      expect(await w.hasher.verify((await w.user('acme', 'u1'))?.password?.phc ?? '', OLD)).toBe(true);
      // Another IP is not locked out by these failures.
      const elsewhere = await changePassword(w.deps, input({ clientIp: '203.0.113.9' }));
      expect(elsewhere.ok).toBe(true);
    });

    it('auto-unlocks after the policy period (900 s)', async () => {
      const w = await world();
      for (let i = 0; i < 5; i++) await expectRefused(w, wrong(), 'invalid_grant');
      await expectRefused(w, input(), 'account_locked');
      w.clock.advance(900_000);
      expect((await changePassword(w.deps, input())).ok).toBe(true);
    });

    it('a right current password resets the counter, even when the new password is refused', async () => {
      const w = await world();
      for (let i = 0; i < 4; i++) await expectRefused(w, wrong(), 'invalid_grant');
      await expectRefused(w, input({ newPassword: 'short' }), 'weak_password');
      // Counted from zero again: four more failures lock nothing (without the reset the 5th failure locks, the 6th is refused).
      for (let i = 0; i < 4; i++) await expectRefused(w, wrong(), 'invalid_grant');
      expect((await changePassword(w.deps, input())).ok).toBe(true);
    });

    it('an unknown client IP shares one counter', async () => {
      const w = await world();
      for (let i = 0; i < 5; i++) await expectRefused(w, input({ currentPassword: 'nope nope nope', clientIp: undefined }), 'invalid_grant');
      await expectRefused(w, input({ clientIp: undefined }), 'account_locked');
    });
  });

  describe('refuses, changing nothing', () => {
    it('a wrong current password (invalid_grant), without checking the new one', async () => {
      const w = await world();
      await expectRefused(w, input({ currentPassword: 'not the old passphrase' }), 'invalid_grant');
      expect(w.breachList.checked).toEqual([]);
    });

    it('a short new password (weak_password)', async () => {
      const w = await world();
      await expectRefused(w, input({ newPassword: 'short' }), 'weak_password');
    });

    it('a new password over 1024 bytes (weak_password)', async () => {
      const w = await world();
      await expectRefused(w, input({ newPassword: 'x'.repeat(1025) }), 'weak_password');
    });

    it('a breached new password (breached_password)', async () => {
      const w = await world();
      await expectRefused(w, input({ newPassword: 'correct horse battery staple' }), 'breached_password');
    });

    it('a disabled user, an unknown user, a user of another tenant, an unknown tenant (invalid_token)', async () => {
      const w = await world();
      await w.seedUser({ user_id: 'off', tenant_id: 'acme', status: 'disabled' }, OLD);
      await w.seedUser({ user_id: 'g1', tenant_id: 'globex' }, OLD);
      await expectRefused(w, input({ userId: 'off' }), 'invalid_token');
      await expectRefused(w, input({ userId: 'nobody' }), 'invalid_token');
      await expectRefused(w, input({ tenantId: 'acme', userId: 'g1' }), 'invalid_token');
      await expectRefused(w, input({ tenantId: 'nope' }), 'invalid_token');
    });

    it('a user without a password (invalid_request)', async () => {
      const w = await accountsWorld();
      await w.seedUser({ user_id: 'u1', tenant_id: 'acme' });
      await expectRefused(w, input(), 'invalid_request');
    });

    it('a password changed between the check and the write (conflict)', async () => {
      const w = await world();
      // A concurrent change lands while this one hashes: the breach check is the hook.
      const original = w.breachList.check.bind(w.breachList);
      let raced = false;
      w.breachList.check = async (p) => {
        if (!raced) {
          raced = true;
          const other = await changePassword({ ...w.deps, breachList: { check: original } }, input({ newPassword: 'the concurrent new passphrase' }));
          expect(other.ok).toBe(true);
        }
        return original(p);
      };
      const before = w.commits();
      const r = await changePassword(w.deps, input());
      expect(r.ok ? 'ok' : r.error.code).toBe('conflict');
      // This attempt's reservation; the concurrent change's reservation and its write.
      expect(w.commits()).toBe(before + 3);
      const stored = await w.user('acme', 'u1');
      expect(await w.hasher.verify(stored?.password?.phc ?? '', 'the concurrent new passphrase')).toBe(true);
    });
  });
});
