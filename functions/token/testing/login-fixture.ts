/**
 * Test helper: the token function's routes over given stores (in-memory by
 * default), a local key ring, the real Argon2id hasher (counted), a fixed
 * clock, a captured log and the dev mailbox. Requests are built as
 * `framework.ts` builds them, with a TCP peer address.
 */
import { randomUUID } from 'node:crypto';
import { cryptoRandom, fixedClock } from '../../../shared/adapters/local/clock.ts';
import { createDevMailbox, lastMailTo } from '../../../shared/adapters/local/dev-mailbox.ts';
import { createLocalKeyRing, type LocalKeyRing } from '../../../shared/adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../../shared/adapters/local/local-key-ring-memory.ts';
import { createStaticIpReputation } from '../../../shared/adapters/local/static-ip-reputation.ts';
import { createMemoryStores } from '../../../shared/adapters/memory/stores.ts';
import { createArgon2Hasher, type Argon2Hasher } from '../../../shared/adapters/node/argon2-hasher.ts';
import type { Stores } from '../../../shared/adapters/store/stores.ts';
import type { MfaMethod, User } from '../../../shared/domain/accounts/user.ts';
import type { RiskDeps } from '../../../shared/domain/mfa/risk/risk-deps.ts';
import type { KeyRing, Mailer, PasswordHasher } from '../../../shared/domain/ports.ts';
import { fillPolicyDefaults, type PolicyInput, type Region, type Tenant } from '../../../shared/domain/tenants/tenant.ts';
import { errorResponse } from '../../../shared/http/envelope.ts';
import { parseTrustedProxies } from '../../../shared/http/client-ip.ts';
import { router } from '../../../shared/http/router.ts';
import type { HttpResponse } from '../../../shared/http/types.ts';
import { createLogger } from '../../../shared/log.ts';
import { tokenRoutes } from '../routes.ts';

/** The issuer the fixture signs for. */
export const ISSUER = 'http://127.0.0.1:8080';
/** The audience the fixture signs for. */
export const AUDIENCE = 'melmastoon';
/** A password every seeded user has unless told otherwise. */
export const PASSWORD = 'correct horse battery staple';
/** The IP the deny list holds. */
export const BAD_IP = '203.0.113.66';

/** How many times each hasher operation ran. */
export interface HashCounts {
  verify: number;
  dummyVerify: number;
  hash: number;
}

/** A hasher that counts its calls. */
export function countingHasher(inner: Argon2Hasher): PasswordHasher & { readonly counts: HashCounts } {
  const counts: HashCounts = { verify: 0, dummyVerify: 0, hash: 0 };
  return {
    counts,
    version: inner.version,
    hash: (p) => (counts.hash++, inner.hash(p)),
    verify: (phc, p) => (counts.verify++, inner.verify(phc, p)),
    needsRehash: (phc) => inner.needsRehash(phc),
    wrap: (phc) => inner.wrap(phc),
    dummyVerify: (p) => (counts.dummyVerify++, inner.dummyVerify(p)),
  };
}

/** Options of {@link loginFixture}. */
export interface LoginFixtureOptions {
  readonly stores?: Stores;
  readonly magicLinkFloorMs?: number;
  /** `loginRefusalFloorMs`; 0 by default, so tests do not wait. */
  readonly loginRefusalFloorMs?: number;
  /** The mailer; the dev mailbox on the stores' platform database by default. */
  readonly mailer?: Mailer;
  /** The key ring that signs logins; the fixture's local ring by default (the JWKS always serves that one). */
  readonly signingRing?: KeyRing;
  /** Builds the adaptive-MFA engine over the fixture's clock (none by default: the policy alone decides). */
  readonly risk?: (clock: ReturnType<typeof fixedClock>) => RiskDeps;
}

/** Builds the fixture. */
export function loginFixture(options: LoginFixtureOptions = {}) {
  const stores = options.stores ?? createMemoryStores();
  const clock = fixedClock(Date.UTC(2026, 2, 1, 12));
  const argon2 = createArgon2Hasher({ version: 2 });
  const hasher = countingHasher(argon2);
  const keyRing: LocalKeyRing = createLocalKeyRing(memoryKeyStore(), { clock });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'token', level: 'DEBUG', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const mailer = options.mailer ?? createDevMailbox(stores.databases.platform, { clock, random: cryptoRandom });
  const handler = router(
    tokenRoutes({
      keyRing,
      issuer: ISSUER,
      login: {
        uow: stores.uow,
        directory: stores.directory,
        clock,
        random: cryptoRandom,
        keyRing: options.signingRing ?? keyRing,
        issuer: ISSUER,
        audience: AUDIENCE,
        hasher,
        ipReputation: createStaticIpReputation({ bad: [BAD_IP], good: [] }),
        mailer,
        magicLinkUrl: 'http://127.0.0.1:8080/magic-link',
        magicLinkFloorMs: options.magicLinkFloorMs ?? 0,
        loginRefusalFloorMs: options.loginRefusalFloorMs ?? 0,
        trustedProxies: parseTrustedProxies('127.0.0.1/32'),
        log,
        ...(options.risk === undefined ? {} : { risk: options.risk(clock) }),
      },
    }),
  );

  /** POSTs `body` to `path` from `peer` (default: a client straight from 198.51.100.10), as a client sees it. */
  async function post(
    path: string,
    body: unknown,
    from: { readonly peer?: string; readonly xff?: string; readonly headers?: Record<string, string> } = {},
  ): Promise<HttpResponse & { readonly body: Record<string, unknown> }> {
    const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const requestId = `req-${randomUUID()}`;
    const request = {
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/json',
        'content-length': String(raw.length),
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        ...(from.xff === undefined ? {} : { 'x-forwarded-for': from.xff }),
        ...from.headers,
      },
      query: new URLSearchParams(),
      rawBody: raw,
      requestId,
      trace: undefined,
      params: {},
      remoteAddress: from.peer ?? '198.51.100.10',
    };
    const res = await handler(request).catch((e: unknown) => errorResponse(e, requestId, log));
    return res as HttpResponse & { body: Record<string, unknown> };
  }

  /** Claims the tenant in `region` and stores it with `policy` over the defaults. */
  async function seedTenant(tenantId: string, region: Region = 'eu', policy?: PolicyInput): Promise<Tenant> {
    const filled = fillPolicyDefaults(policy, { publicOrigin: ISSUER });
    if (typeof filled === 'string') throw new Error(filled);
    await stores.directory.claim(tenantId, region, new Date(clock.now()).toISOString());
    const tenant: Tenant = { tenant_id: tenantId, region, policy: filled, version: 1, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
    await stores.uow.run(region, async (tx) => tx.tenants.put(tenant));
    return tenant;
  }

  /** Changes a stored tenant's policy. */
  async function setPolicy(tenantId: string, region: Region, policy: PolicyInput): Promise<void> {
    const filled = fillPolicyDefaults(policy, { publicOrigin: ISSUER });
    if (typeof filled === 'string') throw new Error(filled);
    await stores.uow.run(region, async (tx) => {
      const t = await tx.tenants.get(tenantId);
      if (t === undefined) throw new Error(`no tenant ${tenantId}`);
      tx.tenants.put({ ...t, policy: filled, version: t.version + 1 });
    });
  }

  /** Creates a user directly (the accounts function is not needed). */
  async function addUser(init: {
    readonly tenantId: string;
    readonly region?: Region;
    readonly email: string;
    readonly password?: string | null;
    readonly phc?: string;
    readonly roles?: readonly string[];
    readonly mfa?: readonly MfaMethod[];
    readonly status?: User['status'];
  }): Promise<User> {
    const now = new Date(clock.now()).toISOString();
    const phc = init.phc ?? (init.password === null ? undefined : await argon2.hash(init.password ?? PASSWORD));
    const user: User = {
      user_id: randomUUID(),
      tenant_id: init.tenantId,
      email: init.email,
      roles: [...(init.roles ?? ['member'])],
      status: init.status ?? 'active',
      password: phc === undefined ? null : { phc, hash_version: argon2.version, changed_at: now },
      mfa_methods: [...(init.mfa ?? [])],
      created_at: now,
      updated_at: now,
      created_by: { type: 'admin', id: 'test' },
      last_login_at: null,
    };
    await stores.uow.run(init.region ?? 'eu', async (tx) => tx.users.create(user));
    return user;
  }

  /** The stored user. */
  const user = (tenantId: string, userId: string, region: Region = 'eu') => stores.uow.run(region, (tx) => tx.users.get(tenantId, userId));

  /** The newest dev-mailbox mail to `to`. */
  const lastMail = (to: string) => lastMailTo(stores.databases.platform, to);

  return { stores, clock, hasher, argon2, keyRing, logs, post, seedTenant, setPolicy, addUser, user, lastMail };
}

/** A login body. */
export function loginBody(tenantId: string, email: string, password = PASSWORD, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { tenant_id: tenantId, email, password, client_id: 'web-app', ...extra };
}

/** The body minus its `request_id`: what must be equal between answers that must not differ. */
export function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { request_id: _ignored, ...rest } = body;
  return rest;
}
