/**
 * An administrator disables a user: login refuses a disabled user (the token
 * function checks `status`), and every live session family of the user is
 * revoked in the same transaction (reason `user_disabled`), together with
 * `iam.user.disabled.v1` and the audit event with the actor. Disabling a
 * disabled user changes nothing and writes nothing.
 *
 * Access tokens already issued stay valid until they expire (at most 15
 * minutes) unless a route verifies the session (`verifyBearer`'s
 * `checkSession`, filled by the refresh issue).
 */
import type { IamError } from '../errors.ts';
import type { TxRepos } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { isoNow, tenantRegion, userNotFound, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeDisable, authorizeTenant } from './admin-principal.ts';
import { recordUserChange } from './user-events.ts';
import type { User } from './user.ts';

/** The reason recorded on session families revoked because their user was disabled. */
export const USER_DISABLED_REASON = 'user_disabled';

/** The user to disable. */
export interface DisableUserInput extends AdminRequest {
  readonly userId: string;
}

/** The user after the change. */
export interface DisableUserOutcome {
  readonly user: User;
  readonly changed: boolean;
  /** Session families revoked now. */
  readonly revokedSessions: number;
}

/**
 * Revokes every live session family of a user inside `tx`. It reads, then
 * buffers writes: call it after the transaction's other reads. The hook the
 * refresh issue may extend (refresh tokens, a revocation epoch).
 */
export async function revokeUserSessions(tx: TxRepos, tenantId: string, userId: string, at: string, reason: string): Promise<number> {
  const families = await tx.sessions.listForUser(tenantId, userId);
  let revoked = 0;
  for (const f of families) {
    if (f.revoked_at !== null) continue;
    tx.sessions.put({ ...f, revoked_at: at, revoked_reason: reason });
    revoked++;
  }
  return revoked;
}

/** Disables. Refusals: `access_denied`, `tenant_not_found`, `not_found`. */
export async function disableUser(deps: AccountDeps, input: DisableUserInput): Promise<Result<DisableUserOutcome, IamError>> {
  const { principal, tenantId } = input;
  const scope = authorizeTenant(principal, tenantId);
  if (scope !== undefined) return fail(scope);
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  return deps.uow.run(region.value, async (tx) => {
    const user = await tx.users.get(tenantId, input.userId);
    if (user === undefined) return fail(userNotFound());
    const denied = authorizeDisable(principal, user);
    if (denied !== undefined) return fail(denied);
    if (user.status === 'disabled') return ok({ user, changed: false, revokedSessions: 0 });
    const now = isoNow(deps);
    const revokedSessions = await revokeUserSessions(tx, tenantId, user.user_id, now, USER_DISABLED_REASON);
    const disabled: User = { ...user, status: 'disabled', updated_at: now };
    tx.users.put(disabled);
    recordUserChange(tx, deps.random, {
      tenantId,
      userId: user.user_id,
      type: 'iam.user.disabled.v1',
      data: {},
      action: 'user.disabled',
      actor: actorOf(principal),
      requestId: input.requestId,
      details: { ...actorDetails(principal), revoked_sessions: revokedSessions },
      at: now,
    });
    return ok({ user: disabled, changed: true, revokedSessions });
  });
}
