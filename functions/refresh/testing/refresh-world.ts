/**
 * Test and bench helper: the refresh use cases over given stores (in-memory
 * by default) with tenants `acme` (eu) and `umbrella` (me), a local key ring,
 * the real grace cipher over an in-memory KEK, a settable platform epoch, and
 * helpers to seed users and session families (as a login writes them) and to
 * read back what the use cases wrote.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRefreshGraceCipher, DEFAULT_REFRESH_GRACE_KEK_SECRET } from '../../../shared/adapters/crypto/refresh-grace-secrets.ts';
import { cryptoRandom, fixedClock } from '../../../shared/adapters/local/clock.ts';
import { createLocalKeyRing } from '../../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../../shared/adapters/local/local-key-ring-memory.ts';
import { createMemoryStores } from '../../../shared/adapters/memory/stores.ts';
import type { Stores } from '../../../shared/adapters/store/stores.ts';
import type { User } from '../../../shared/domain/accounts/user.ts';
import type { AuditEvent, OutboxRow } from '../../../shared/domain/outbox/event.ts';
import type { Clock, KeyRing, PlatformEpochSource } from '../../../shared/domain/ports.ts';
import type { RevokeTokenDeps } from '../../../shared/domain/sessions/revoke-token.ts';
import type { RevocationEpoch } from '../../../shared/domain/sessions/revocation-epoch.ts';
import type { RefreshRiskCheck, RotateRefreshTokenDeps } from '../../../shared/domain/sessions/rotate-refresh-token.ts';
import type { RefreshTokenRecord, SessionFamily } from '../../../shared/domain/sessions/session.ts';
import { prepareSession, writeSession } from '../../../shared/domain/sessions/start-session.ts';
import { fillPolicyDefaults, type PolicyInput, type Region, type Tenant } from '../../../shared/domain/tenants/tenant.ts';
import { acrFor, type Amr } from '../../../shared/domain/tokens/mint-access-token.ts';
import { hashOpaqueToken } from '../../../shared/domain/tokens/opaque-token.ts';
import { memorySecretSource } from '../../../shared/testing/mfa-world.ts';

/** The issuer the world signs for. */
export const ISSUER = 'http://127.0.0.1:8080';
/** The audience the world signs for. */
export const AUDIENCE = 'melmastoon';
/** The client every seeded family belongs to. */
export const CLIENT = 'web-app';
/** 2026-03-01T12:00:00Z. */
export const T0 = Date.UTC(2026, 2, 1, 12);

/** Options of {@link refreshWorld}. */
export interface RefreshWorldOptions {
  readonly stores?: Stores;
  /** A clock; a fixed one at {@link T0} by default. */
  readonly clock?: Clock;
  readonly risk?: RefreshRiskCheck;
  /** The tenants' policy over the defaults. */
  readonly policy?: PolicyInput;
  /** The platform epoch source; a settable stub by default. */
  readonly platformEpochs?: PlatformEpochSource;
  /** The key ring that signs; a local ring in memory by default. */
  readonly keyRing?: KeyRing;
}

/** Builds the world (seeds the tenants). */
export async function refreshWorld(options: RefreshWorldOptions = {}) {
  const stores = options.stores ?? createMemoryStores();
  const fixed = fixedClock(T0);
  const clock: Clock = options.clock ?? fixed;
  const keyRing: KeyRing = options.keyRing ?? createLocalKeyRing(memoryKeyStore(), { clock });
  const kek = new Uint8Array(randomBytes(32));
  const platform = { epoch: undefined as RevocationEpoch | undefined };
  const platformEpochs: PlatformEpochSource = options.platformEpochs ?? { current: async () => platform.epoch };
  const deps: RotateRefreshTokenDeps & RevokeTokenDeps = {
    uow: stores.uow,
    directory: stores.directory,
    clock,
    random: cryptoRandom,
    keyRing,
    issuer: ISSUER,
    audience: AUDIENCE,
    graceCipher: createRefreshGraceCipher(memorySecretSource({ [DEFAULT_REFRESH_GRACE_KEK_SECRET]: kek })),
    platformEpochs,
    risk: options.risk,
  };
  const regionOf = async (tenantId: string): Promise<Region> => (await stores.directory.regionOf(tenantId)) ?? 'eu';
  const all = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };

  async function setPolicy(tenantId: string, region: Region, policy: PolicyInput | undefined): Promise<Tenant> {
    const filled = fillPolicyDefaults(policy, { publicOrigin: ISSUER });
    if (typeof filled === 'string') throw new Error(filled);
    const tenant: Tenant = { tenant_id: tenantId, region, policy: filled, version: 1, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
    await stores.uow.run(region, async (tx) => tx.tenants.put(tenant));
    return tenant;
  }
  for (const [tenantId, region] of [['acme', 'eu'], ['umbrella', 'me']] as const) {
    const claimed = await stores.directory.claim(tenantId, region, '2026-01-01T00:00:00.000Z');
    if (claimed !== region) throw new Error(`${tenantId} is already in ${claimed}`);
    await setPolicy(tenantId, region, options.policy);
  }

  return {
    stores,
    clock,
    /** The fixed clock (meaningless when a clock was given). */
    fixed,
    keyRing,
    deps,
    /** Set `platform.epoch` to revoke across the platform (the default stub only). */
    platform,
    setPolicy,
    async seedUser(partial: Partial<User> & { readonly tenant_id?: string } = {}): Promise<User> {
      const at = new Date(clock.now()).toISOString();
      const userId = partial.user_id ?? randomUUID();
      const user: User = {
        user_id: userId,
        tenant_id: 'acme',
        email: `${userId}@example.com`,
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
    /** Starts a family for `user` as a login does; returns its first refresh token. */
    async startFamily(
      user: User,
      opts: { readonly clientId?: string; readonly deviceId?: string | null; readonly amr?: readonly Amr[] } = {},
    ): Promise<{ readonly token: string; readonly sessionId: string }> {
      const amr = opts.amr ?? ['pwd'];
      const region = await regionOf(user.tenant_id);
      const policy = await stores.uow.run(region, (tx) => tx.tenants.get(user.tenant_id));
      if (policy === undefined) throw new Error(`no tenant ${user.tenant_id}`);
      const prepared = await prepareSession(
        { random: cryptoRandom },
        {
          tenantId: user.tenant_id,
          userId: user.user_id,
          clientId: opts.clientId ?? CLIENT,
          deviceId: opts.deviceId ?? null,
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
          maskedIp: '198.51.100.0/24',
          amr,
          acr: acrFor(amr),
          policy: policy.policy.session,
          nowMs: clock.now(),
          requestId: null,
        },
      );
      await stores.uow.run(region, async (tx) => writeSession(tx, prepared));
      return { token: prepared.refreshToken, sessionId: prepared.session.session_id };
    },
    async record(token: string, tenantId = 'acme'): Promise<RefreshTokenRecord | undefined> {
      const hash = await hashOpaqueToken(token);
      return stores.uow.run(await regionOf(tenantId), (tx) => tx.refreshTokens.get(tenantId, hash));
    },
    async family(sessionId: string, tenantId = 'acme'): Promise<SessionFamily | undefined> {
      return stores.uow.run(await regionOf(tenantId), (tx) => tx.sessions.get(tenantId, sessionId));
    },
    outbox: (region: Region = 'eu'): Promise<readonly OutboxRow[]> => stores.uow.run(region, (tx) => tx.outbox.createdBetween(all.from, all.to)),
    audit: (region: Region = 'eu'): Promise<readonly AuditEvent[]> => stores.uow.run(region, (tx) => tx.audit.between(all.from, all.to)),
  };
}

/** What {@link refreshWorld} gives. */
export type RefreshWorld = Awaited<ReturnType<typeof refreshWorld>>;

/** A client context as the routes build it. */
export function aClient(ip = '198.51.100.10'): { readonly ip: string; readonly maskedIp: string; readonly userAgent: string; readonly requestId: string } {
  return { ip, maskedIp: ip.replace(/\.\d+$/, '.0/24'), userAgent: 'test', requestId: `req-${randomUUID()}` };
}
