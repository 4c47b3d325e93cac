/**
 * Whether a session family is live (SPEC section 4 item 3): not revoked, not
 * past its idle or absolute lifetime, and not created at or before its
 * tenant's or the platform's revocation epoch (`revocation-epoch.ts`).
 *
 * {@link sessionState} is the pure rule, shared by the session listing and
 * the Bearer middleware's live-session check; {@link sessionIsLive} builds
 * that check (`checkSession` of `shared/http/bearer.ts`) over the stores.
 */
import type { Clock, PlatformEpochSource, TenantDirectory, TxRepos, UnitOfWork } from '../ports.ts';
import { isRevokedByEpoch, type ApplicableEpochs } from './revocation-epoch.ts';
import type { SessionFamily } from './session.ts';

/** Why a family is not live, or `live`. */
export type SessionState = 'live' | 'revoked' | 'idle_expired' | 'absolute_expired' | 'platform_epoch' | 'tenant_epoch';

/**
 * The state of a family at `now` (ISO 8601 UTC, the format every stored
 * instant has, so they compare as strings). A family is expired AT its
 * `idle_expires_at` / `absolute_expires_at`, not after.
 */
export function sessionState(session: SessionFamily, epochs: ApplicableEpochs, now: string): SessionState {
  if (session.revoked_at !== null) return 'revoked';
  const byEpoch = isRevokedByEpoch(session, epochs);
  if (byEpoch !== undefined) return byEpoch;
  if (now >= session.absolute_expires_at) return 'absolute_expired';
  if (now >= session.idle_expires_at) return 'idle_expired';
  return 'live';
}

/**
 * The epochs that apply to families of `tenantId`: the tenant's, read in the
 * caller's transaction, and the platform's from the (briefly cached) source.
 * The platform source throws `temporarily_unavailable` when it cannot be read
 * for too long: callers fail closed.
 */
export async function applicableEpochs(tx: Pick<TxRepos, 'revocationEpochs'>, platformEpochs: PlatformEpochSource, tenantId: string): Promise<ApplicableEpochs> {
  const [tenant, platform] = await Promise.all([tx.revocationEpochs.get(tenantId), platformEpochs.current()]);
  return { tenant, platform };
}

/** What {@link sessionIsLive} needs. Build it once per instance. */
export interface SessionIsLiveDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly platformEpochs: PlatformEpochSource;
  readonly clock: Clock;
}

/** The claims the live-session check reads: tenant, user and session family. */
export interface SessionClaims {
  readonly tid: string;
  readonly sub: string;
  readonly sid: string;
}

/**
 * The live-session check for `verifyBearer`'s `checkSession`: true only when
 * the token's `sid` names a family of the token's own tenant (`tid`) and user
 * (`sub`) that is live now. An unknown tenant or family, a family of another
 * user, a revoked, expired or epoch-revoked family: false.
 */
export function sessionIsLive(deps: SessionIsLiveDeps): (claims: SessionClaims) => Promise<boolean> {
  return async (claims) => {
    const region = await deps.directory.regionOf(claims.tid);
    if (region === undefined) return false;
    const now = new Date(deps.clock.now()).toISOString();
    return deps.uow.run(region, async (tx) => {
      const [session, epochs] = await Promise.all([tx.sessions.get(claims.tid, claims.sid), applicableEpochs(tx, deps.platformEpochs, claims.tid)]);
      if (session === undefined || session.user_id !== claims.sub) return false;
      return sessionState(session, epochs, now) === 'live';
    });
  };
}
