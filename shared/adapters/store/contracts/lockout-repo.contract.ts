/** The contract of {@link LockoutRepo}, with the parallel reservation of risk R-09. */
import { describe, expect, it } from 'vitest';
import { lockoutKey, reserveAttempt, type LockoutCounter, type LockoutKey } from '../../../domain/login/lockout.ts';
import { clearLockouts } from '../../../domain/login/clear-lockouts.ts';
import { LOCKOUTS, lockoutId } from '../lockout-repo.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

function counter(key: LockoutKey, failures: number, lockedUntil: string | null = null): LockoutCounter {
  return { ...key, failures, window_started_at: instant(0), updated_at: instant(failures), locked_until: lockedUntil };
}

/** Runs the lockout repository contract against a backend. */
export function lockoutRepoContract(backend: string, makeStores: StoresFactory): void {
  describe(`LockoutRepo contract (${backend})`, () => {
    it('stores a counter under hashes only, reads it back, and resets it', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const key = await lockoutKey('t1', 'alice@example.com', '203.0.113.9');
      expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(key))).toBeUndefined();
      await stores.uow.run('eu', async (tx) => tx.lockouts.put(counter(key, 2)));
      expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(key))).toEqual(counter(key, 2));
      const raw = await stores.databases.regions.eu.get(LOCKOUTS, lockoutId(key));
      expect(Object.keys(raw ?? {}).sort()).toEqual(['email_hash', 'failures', 'ip_hash', 'locked_until', 'tenant_id', 'updated_at', 'window_started_at']);
      expect(JSON.stringify(raw)).not.toMatch(/alice|example|203\.0\.113/);
      expect(lockoutId(key)).not.toMatch(/alice|203\.0\.113/);
      await stores.uow.run('eu', async (tx) => tx.lockouts.reset(key));
      expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(key))).toBeUndefined();
      // resetting a missing counter is no error
      await stores.uow.run('eu', async (tx) => tx.lockouts.reset(key));
    });

    it('keeps counters of other IPs, emails and tenants apart', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const a = await lockoutKey('t1', 'alice@example.com', '203.0.113.9');
      const otherIp = await lockoutKey('t1', 'alice@example.com', '203.0.113.10');
      const otherEmail = await lockoutKey('t1', 'bob@example.com', '203.0.113.9');
      const otherTenant = await lockoutKey('t2', 'alice@example.com', '203.0.113.9');
      await stores.uow.run('eu', async (tx) => tx.lockouts.put(counter(a, 3)));
      for (const k of [otherIp, otherEmail, otherTenant]) {
        expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(k))).toBeUndefined();
      }
    });

    it('clearAccount removes every IP of one (tenant, email) and nothing else, and counts them', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      await seedTenant(stores, 't2', 'eu');
      const mine = await Promise.all(['198.51.100.1', '198.51.100.2', '2001:db8::1'].map((ip) => lockoutKey('t1', 'alice@example.com', ip)));
      const bob = await lockoutKey('t1', 'bob@example.com', '198.51.100.1');
      const elsewhere = await lockoutKey('t2', 'alice@example.com', '198.51.100.1');
      await stores.uow.run('eu', async (tx) => {
        for (const k of [...mine, bob, elsewhere]) tx.lockouts.put(counter(k, 5, instant(900)));
      });
      const cleared = await stores.uow.run('eu', (tx) => clearLockouts(tx, 't1', 'alice@example.com'));
      expect(cleared).toBe(3);
      for (const k of mine) expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(k))).toBeUndefined();
      expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(bob))).toEqual(counter(bob, 5, instant(900)));
      expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(elsewhere))).toEqual(counter(elsewhere, 5, instant(900)));
      expect(await stores.uow.run('eu', (tx) => clearLockouts(tx, 't1', 'alice@example.com'))).toBe(0);
    });

    it('20 parallel reservations with threshold 5: exactly 5 reserved, 15 locked, the counter ends at 5 and locked', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'eu');
      const key = await lockoutKey('t1', 'alice@example.com', '203.0.113.9');
      const policy = { threshold: 5, unlock_after_seconds: 900 };
      const now = Date.UTC(2026, 0, 1);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          stores.uow.run('eu', async (tx) => {
            const r = reserveAttempt(key, await tx.lockouts.get(key), policy, now);
            if (r.kind === 'reserved') tx.lockouts.put(r.counter);
            return r.kind;
          }),
        ),
      );
      expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'locked')).toHaveLength(15);
      expect(await stores.uow.run('eu', (tx) => tx.lockouts.get(key))).toMatchObject({
        failures: 5,
        locked_until: new Date(now + 900_000).toISOString(),
      });
    }, 120_000);
  });
}
