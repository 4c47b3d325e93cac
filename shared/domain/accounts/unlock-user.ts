/**
 * An administrator lifts a user's lockout (SPEC section 4 item 1): every
 * lockout counter of the account, from every IP, is removed in one
 * transaction with `iam.user.unlocked.v1` and the audit event with the actor.
 * An unlock with nothing locked is still recorded: the admin acted.
 */
import type { IamError } from '../errors.ts';
import { lockoutEmailHash } from '../login/lockout.ts';
import { fail, ok, type Result } from '../result.ts';
import { isoNow, tenantRegion, userNotFound, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeTenant } from './admin-principal.ts';
import { recordUserChange } from './user-events.ts';

/** The user to unlock. */
export interface UnlockUserInput extends AdminRequest {
  readonly userId: string;
}

/** How many lockout counters were removed. */
export interface UnlockUserOutcome {
  readonly cleared: number;
}

/** Unlocks. Refusals: `access_denied`, `tenant_not_found`, `not_found`. */
export async function unlockUser(deps: AccountDeps, input: UnlockUserInput): Promise<Result<UnlockUserOutcome, IamError>> {
  const { principal, tenantId } = input;
  const scope = authorizeTenant(principal, tenantId);
  if (scope !== undefined) return fail(scope);
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  return deps.uow.run(region.value, async (tx) => {
    const user = await tx.users.get(tenantId, input.userId);
    if (user === undefined) return fail(userNotFound());
    // Counters are keyed by the email's hash (an unknown address locks like a known one).
    const cleared = await tx.lockouts.clearAccount(tenantId, await lockoutEmailHash(user.email));
    recordUserChange(tx, deps.random, {
      tenantId,
      userId: user.user_id,
      type: 'iam.user.unlocked.v1',
      data: {},
      action: 'user.unlocked',
      actor: actorOf(principal),
      requestId: input.requestId,
      details: { ...actorDetails(principal), cleared_counters: cleared },
      at: isoNow(deps),
    });
    return ok({ cleared });
  });
}
