/** The contracts of {@link MfaTokenRepo} and {@link MagicLinkRepo}: single-use records keyed by hash. */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import type { MagicLinkRecord, MfaTokenRecord } from '../../../domain/login/one-time-tokens.ts';
import type { TxRepos } from '../../../domain/ports.ts';
import { instant, seedTenant, type StoresFactory } from './fixtures.ts';

const HASH = 'Ey5bBMNhTWmWNiUHIXBRi4Sl-D6Z4JA4-vEmmaTFtmE';

function anMfaToken(tenantId: string, userId: string): MfaTokenRecord {
  return {
    token_hash: HASH,
    tenant_id: tenantId,
    user_id: userId,
    client_id: 'web',
    device_id: null,
    amr: ['pwd'],
    methods: ['totp', 'recovery_code'],
    enrollment_required: false,
    breakglass: false,
    ip: '203.0.113.0/24',
    created_at: instant(0),
    expires_at: instant(300),
  };
}

function aMagicLink(tenantId: string, userId: string): MagicLinkRecord {
  return {
    token_hash: HASH,
    tenant_id: tenantId,
    user_id: userId,
    email: 'alice@example.com',
    client_id: 'web',
    created_at: instant(0),
    expires_at: instant(900),
  };
}

type Repo<R> = { get(t: string, h: string): Promise<R | undefined>; create(r: R): void; delete(t: string, h: string): void };

function singleUseContract<R extends { tenant_id: string; user_id: string }>(
  name: string,
  backend: string,
  makeStores: StoresFactory,
  repo: (tx: TxRepos) => Repo<R>,
  make: (tenantId: string, userId: string) => R,
): void {
  describe(`${name} contract (${backend})`, () => {
    it('creates, reads per tenant, and deletes (single use)', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      await seedTenant(stores, 't2', 'me');
      await stores.uow.run('me', async (tx) => repo(tx).create(make('t1', 'u1')));
      expect(await stores.uow.run('me', (tx) => repo(tx).get('t1', HASH))).toEqual(make('t1', 'u1'));
      expect(await stores.uow.run('me', (tx) => repo(tx).get('t2', HASH))).toBeUndefined();
      await stores.uow.run('me', async (tx) => repo(tx).delete('t1', HASH));
      expect(await stores.uow.run('me', (tx) => repo(tx).get('t1', HASH))).toBeUndefined();
    });

    it('a duplicate hash fails with conflict', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      await stores.uow.run('me', async (tx) => repo(tx).create(make('t1', 'u1')));
      const err = await stores.uow.run('me', async (tx) => repo(tx).create(make('t1', 'u2'))).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
    });

    it('of 6 parallel consumers, exactly one finds and deletes the record', async () => {
      const stores = await makeStores();
      await seedTenant(stores, 't1', 'me');
      await stores.uow.run('me', async (tx) => repo(tx).create(make('t1', 'u1')));
      const won = await Promise.all(
        Array.from({ length: 6 }, () =>
          stores.uow.run('me', async (tx) => {
            if ((await repo(tx).get('t1', HASH)) === undefined) return false;
            repo(tx).delete('t1', HASH);
            return true;
          }),
        ),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
    }, 60_000);
  });
}

/** Runs the `mfa_token` and magic-link repository contracts against a backend. */
export function oneTimeTokenReposContract(backend: string, makeStores: StoresFactory): void {
  singleUseContract('MfaTokenRepo', backend, makeStores, (tx) => tx.mfaTokens, anMfaToken);
  singleUseContract('MagicLinkRepo', backend, makeStores, (tx) => tx.magicLinks, aMagicLink);
}
