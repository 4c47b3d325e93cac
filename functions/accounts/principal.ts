/**
 * Who is calling the admin routes: the bootstrap platform-admin credential
 * (`Authorization: IamBootstrap <secret>`, risks) or a user with
 * a verified access token (`Authorization: Bearer <jws>`).
 *
 * - The bootstrap secret lives in Secret Manager (locally: the local secret
 *   source); it is fetched on first use and cached for {@link BOOTSTRAP_CACHE_MS},
 *   so a rotation takes effect within minutes. The presented value is compared
 *   in constant time (SHA-256 of both, then `timingSafeEqual`). Every use is
 *   logged at NOTICE, every refusal at WARNING, never the value; every use is
 *   audited by the use case with actor `{type:'platform', id:'bootstrap'}`.
 * - A Bearer principal's roles and status are read from the store at each
 *   request, not trusted from the token: a demoted or disabled administrator
 *   loses its rights at once, not when its 15-minute token expires.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminPrincipal } from '../../shared/domain/accounts/admin-principal.ts';
import { IamError } from '../../shared/domain/errors.ts';
import type { Clock, SecretSource, TenantDirectory, UnitOfWork } from '../../shared/domain/ports.ts';
import type { AccessTokenClaims } from '../../shared/http/bearer.ts';
import type { HttpRequest } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';

/** The `Authorization` scheme of the bootstrap credential. */
export const BOOTSTRAP_SCHEME = 'IamBootstrap';
/** How long an instance keeps the bootstrap secret before reading it again. */
export const BOOTSTRAP_CACHE_MS = 5 * 60_000;
/** A bootstrap secret shorter than this (bytes) is refused as misconfigured: 128 bits at least. */
export const MIN_BOOTSTRAP_SECRET_BYTES = 16;

/** What {@link createPrincipalResolver} needs. */
export interface PrincipalDeps {
  readonly secrets: SecretSource;
  /** The secret's name (`config.bootstrapSecretName`). */
  readonly bootstrapSecretName: string;
  /** The Bearer verifier (`createBearerVerifier`). */
  readonly verifyBearer: (req: Pick<HttpRequest, 'headers'>) => Promise<AccessTokenClaims>;
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly log: Logger;
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Builds the resolver of one instance (it caches the bootstrap secret). */
export function createPrincipalResolver(deps: PrincipalDeps): (req: HttpRequest) => Promise<AdminPrincipal> {
  let cached: { readonly digest: Buffer | undefined; readonly at: number } | undefined;

  const bootstrapDigest = async (): Promise<Buffer | undefined> => {
    if (cached !== undefined && deps.clock.now() - cached.at < BOOTSTRAP_CACHE_MS) return cached.digest;
    // A missing or unreadable secret is a deployment error: it throws (500/503), it is not a refusal.
    const raw = new TextDecoder().decode(await deps.secrets.get(deps.bootstrapSecretName)).trim();
    const bytes = new TextEncoder().encode(raw);
    if (bytes.byteLength < MIN_BOOTSTRAP_SECRET_BYTES) {
      deps.log.error('bootstrap secret is too short: the bootstrap credential is disabled', { secret_name: deps.bootstrapSecretName });
    }
    cached = { digest: bytes.byteLength < MIN_BOOTSTRAP_SECRET_BYTES ? undefined : digest(bytes), at: deps.clock.now() };
    return cached.digest;
  };

  const bootstrap = async (req: HttpRequest, presented: string): Promise<AdminPrincipal> => {
    const expected = await bootstrapDigest();
    // Constant time: both sides are hashed to 32 bytes first, so neither length nor content leaks.
    const ok = expected !== undefined && timingSafeEqual(digest(new TextEncoder().encode(presented)), expected);
    const log = deps.log.child({ request_id: req.requestId, path: req.path });
    if (!ok) {
      log.warn('bootstrap credential refused');
      throw new IamError('invalid_token', 'the credential is not valid');
    }
    log.notice('bootstrap credential used', { actor: 'platform/bootstrap', method: req.method });
    return { kind: 'bootstrap' };
  };

  const user = async (req: HttpRequest): Promise<AdminPrincipal> => {
    const claims = await deps.verifyBearer(req);
    const region = await deps.directory.regionOf(claims.tid);
    const stored = region === undefined ? undefined : await deps.uow.run(region, (tx) => tx.users.get(claims.tid, claims.sub));
    if (stored === undefined || stored.status !== 'active') {
      throw new IamError('invalid_token', 'the user of the access token is no longer active');
    }
    return { kind: 'user', tenant_id: claims.tid, user_id: claims.sub, roles: stored.roles };
  };

  return async (req) => {
    const value = req.headers['authorization'] ?? '';
    const m = /^IamBootstrap +(\S+)$/i.exec(value);
    return m === null ? user(req) : bootstrap(req, m[1] as string);
  };
}
