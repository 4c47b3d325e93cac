/**
 * An administrator disables a user: login refuses a disabled user (the token
 * function checks `status`), and every live session family of the user is
 * revoked in the same transaction (reason `admin_revoked_user`, each with its
 * `iam.session.revoked.v1` and audit event: `session-revoked.ts`), together
 * with `iam.user.disabled.v1` and the audit event with the actor. Disabling a
 * disabled user changes nothing and writes nothing.
 *
 * Access tokens already issued stay valid until they expire (at most 15
 * minutes) on routes that do not check the session (`verifyBearer`'s
 * `checkSession` with `sessionIsLive`); the accounts routes re-read the user.
 */
import type { IamError } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import {
  REVOKE_BATCH_SIZE,
  revocationIds,
  revokeFamilies,
  writeSessionRevocation,
  type SessionRevocationFacts,
} from '../sessions/session-revoked.ts';
import { isoNow, tenantRegion, userNotFound, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeDisable, authorizeTenant } from './admin-principal.ts';
import { recordUserChange } from './user-events.ts';
import type { User } from './user.ts';

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
 * Families revoked inside the disabling transaction itself (3 writes each,
 * plus the user, its event and its audit: well under Firestore's 500). A user
 * with more live families has the rest revoked in batches right after.
 */
export const INLINE_REVOCATIONS = REVOKE_BATCH_SIZE - 1;

/** Disables. Refusals: `access_denied`, `tenant_not_found`, `not_found`. */
export async function disableUser(deps: AccountDeps, input: DisableUserInput): Promise<Result<DisableUserOutcome, IamError>> {
  const { principal, tenantId } = input;
  const scope = authorizeTenant(principal, tenantId);
  if (scope !== undefined) return fail(scope);
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  const now = isoNow(deps);
  const facts: SessionRevocationFacts = { tenantId, actor: actorOf(principal), reason: 'admin_revoked_user', at: now, requestId: input.requestId };
  const done = await deps.uow.run(region.value, async (tx) => {
    const user = await tx.users.get(tenantId, input.userId);
    if (user === undefined) return fail(userNotFound());
    const denied = authorizeDisable(principal, user);
    if (denied !== undefined) return fail(denied);
    if (user.status === 'disabled') return ok({ user, changed: false, revokedSessions: 0, rest: [] as string[] });
    const live = (await tx.sessions.listForUser(tenantId, user.user_id)).filter((f) => f.revoked_at === null);
    const inline = live.slice(0, INLINE_REVOCATIONS);
    for (const family of inline) writeSessionRevocation(tx, family, facts, revocationIds(deps.random));
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
      details: { ...actorDetails(principal), revoked_sessions: live.length },
      at: now,
    });
    return ok({ user: disabled, changed: true, revokedSessions: inline.length, rest: live.slice(INLINE_REVOCATIONS).map((f) => f.session_id) });
  });
  if (!done.ok) return done;
  const { rest, ...outcome } = done.value;
  if (rest.length === 0) return ok(outcome);
  // The user is disabled already (login refuses it); the remaining families follow in batches.
  const more = await revokeFamilies(deps, region.value, outcome.user.user_id, rest, facts);
  return ok({ ...outcome, revokedSessions: outcome.revokedSessions + more.revoked });
}
