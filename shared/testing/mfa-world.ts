/**
 * A small world for MFA tests: stores (in-memory unless given) with tenants
 * `acme` and `globex` (eu) and `umbrella` (me), a frozen clock, the real
 * crypto adapters (node HMAC, @scure/base, the AES-256-GCM envelope cipher)
 * over an in-memory secret source holding a KEK and a pepper, and helpers to
 * seed users, enrol TOTP and read back what the use cases wrote.
 */
import { randomBytes } from 'node:crypto';
import { cryptoRandom, fixedClock } from '../adapters/local/clock.ts';
import { createMemoryStores } from '../adapters/memory/stores.ts';
import { createEnvelopeCipher } from '../adapters/crypto/envelope-cipher.ts';
import { nodeMfaCrypto } from '../adapters/crypto/mfa-crypto.ts';
import { createSecretKeyRing } from '../adapters/crypto/secret-key-ring.ts';
import { seedTenant } from '../adapters/store/contracts/fixtures.ts';
import type { Stores } from '../adapters/store/stores.ts';
import type { User } from '../domain/accounts/user.ts';
import type { MfaFactor } from '../domain/mfa/factor.ts';
import type { MfaDeps } from '../domain/mfa/mfa-deps.ts';
import { enrollTotp } from '../domain/mfa/enroll-totp.ts';
import { confirmTotp } from '../domain/mfa/confirm-totp.ts';
import { totpAt, totpOfStep, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from '../domain/mfa/totp.ts';
import type { AuditEvent, OutboxRow } from '../domain/outbox/event.ts';
import type { SecretSource } from '../domain/ports.ts';
import type { Region } from '../domain/tenants/tenant.ts';

/** 2026-03-01T12:00:00Z: a multiple of 30 s, so a test knows where in the step it is. */
export const MFA_T0 = Date.UTC(2026, 2, 1, 12);

/** Names of the world's secrets. */
export const KEK_NAME = 'iam-mfa-kek';
export const PEPPER_NAME = 'iam-mfa-recovery-pepper';

/** An in-memory secret source that counts reads. */
export function memorySecretSource(secrets: Record<string, Uint8Array>): SecretSource & { reads: number } {
  const source = {
    reads: 0,
    async get(name: string) {
      source.reads++;
      const s = secrets[name];
      if (s === undefined) throw new Error(`no secret '${name}'`);
      return s;
    },
  };
  return source;
}

/** What a test sees of the world. */
export interface MfaWorld {
  readonly stores: Stores;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly secrets: Record<string, Uint8Array>;
  readonly deps: MfaDeps;
  seedUser(partial: Partial<User> & Pick<User, 'user_id' | 'tenant_id'>): Promise<User>;
  user(tenantId: string, userId: string): Promise<User | undefined>;
  factors(tenantId: string, userId: string): Promise<readonly MfaFactor[]>;
  outbox(region?: Region): Promise<readonly OutboxRow[]>;
  audit(region?: Region): Promise<readonly AuditEvent[]>;
  /** Commits with writes so far across the regional databases (in-memory stores only; 0 otherwise). */
  commits(): number;
  /** Enrols and confirms TOTP for the user; returns the raw secret. The clock moves on by one step. */
  enrolConfirmed(tenantId: string, userId: string): Promise<{ readonly secret: Uint8Array; readonly factorId: string }>;
  /** The code of `secret` now (or at `atMs`). */
  code(secret: Uint8Array, atMs?: number): Promise<string>;
  /** The code of `secret` for the step `offset` steps from now. */
  codeOfStep(secret: Uint8Array, offset: number): Promise<string>;
}

/** Builds a fresh world on `stores` (fresh in-memory stores by default). */
export async function mfaWorld(stores: Stores = createMemoryStores()): Promise<MfaWorld> {
  await seedTenant(stores, 'acme', 'eu');
  await seedTenant(stores, 'globex', 'eu');
  await seedTenant(stores, 'umbrella', 'me');
  const clock = fixedClock(MFA_T0);
  const secrets: Record<string, Uint8Array> = {
    [KEK_NAME]: new Uint8Array(randomBytes(32)),
    [PEPPER_NAME]: new TextEncoder().encode(randomBytes(32).toString('base64url')),
  };
  const source = memorySecretSource(secrets);
  const deps: MfaDeps = {
    uow: stores.uow,
    directory: stores.directory,
    clock,
    random: cryptoRandom,
    crypto: nodeMfaCrypto,
    cipher: createEnvelopeCipher(createSecretKeyRing(source, { current: KEK_NAME })),
    recoveryPepper: createSecretKeyRing(source, { current: PEPPER_NAME }),
  };
  const regionOf = async (tenantId: string): Promise<Region> => (await stores.directory.regionOf(tenantId)) ?? 'eu';
  const all = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
  const params = (secret: Uint8Array) => ({ algorithm: 'SHA1' as const, key: secret, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
  const world: MfaWorld = {
    stores,
    clock,
    secrets,
    deps,
    async seedUser(partial) {
      const at = new Date(clock.now()).toISOString();
      const user: User = {
        email: `${partial.user_id}@example.com`,
        roles: ['member'],
        status: 'active',
        password: null,
        mfa_methods: [],
        created_at: at,
        updated_at: at,
        created_by: { type: 'platform', id: 'bootstrap' },
        last_login_at: null,
        ...partial,
      };
      await stores.uow.run(await regionOf(user.tenant_id), async (tx) => tx.users.create(user));
      return user;
    },
    async user(tenantId, userId) {
      return stores.uow.run(await regionOf(tenantId), (tx) => tx.users.get(tenantId, userId));
    },
    async factors(tenantId, userId) {
      return stores.uow.run(await regionOf(tenantId), (tx) => tx.mfaFactors.listForUser(tenantId, userId));
    },
    outbox: (region = 'eu') => stores.uow.run(region, (tx) => tx.outbox.createdBetween(all.from, all.to)),
    audit: (region = 'eu') => stores.uow.run(region, (tx) => tx.audit.between(all.from, all.to)),
    commits: () => Object.values(stores.databases.regions).reduce((n, db) => n + ((db as { commits?: number }).commits ?? 0), 0),
    async enrolConfirmed(tenantId, userId) {
      const actor = { type: 'user', id: userId } as const;
      const enrolled = await enrollTotp(deps, { tenantId, userId, issuer: 'Melmastoon', actor, requestId: null });
      if (enrolled.kind !== 'enrolled') throw new Error(`enrol: ${enrolled.kind}`);
      const secret = nodeMfaCrypto.base32Decode(enrolled.secret);
      if (secret === undefined) throw new Error('enrol returned bad base32');
      const confirmed = await confirmTotp(deps, { tenantId, userId, code: await world.code(secret), actor, requestId: null });
      if (confirmed.kind !== 'confirmed') throw new Error(`confirm: ${confirmed.kind}`);
      clock.advance(TOTP_PERIOD_SECONDS * 1000);
      return { secret, factorId: enrolled.factorId };
    },
    code: (secret, atMs) => totpAt(nodeMfaCrypto, params(secret), atMs ?? clock.now()),
    codeOfStep: (secret, offset) => totpOfStep(nodeMfaCrypto, params(secret), Math.floor(clock.now() / 1000 / TOTP_PERIOD_SECONDS) + offset),
  };
  return world;
}
