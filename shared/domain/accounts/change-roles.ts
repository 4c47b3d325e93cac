/**
 * An administrator replaces a user's roles: one transaction writes the user,
 * `iam.user.roles_changed.v1` and the audit event with the actor. The same set
 * of roles again changes nothing and writes nothing.
 */
import type { IamError } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { isoNow, tenantRegion, userNotFound, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeRoleChange, authorizeTenant } from './admin-principal.ts';
import { recordUserChange } from './user-events.ts';
import type { User } from './user.ts';

/** The new roles of one user. */
export interface ChangeRolesInput extends AdminRequest {
  readonly userId: string;
  /** Role names, validated and free of duplicates at the boundary. */
  readonly roles: readonly string[];
}

/** The user after the change, and whether anything changed. */
export interface ChangeRolesOutcome {
  readonly user: User;
  readonly changed: boolean;
}

/** Replaces the roles. Refusals: `access_denied`, `tenant_not_found`, `not_found`. */
export async function changeRoles(deps: AccountDeps, input: ChangeRolesInput): Promise<Result<ChangeRolesOutcome, IamError>> {
  const { principal, tenantId } = input;
  const scope = authorizeTenant(principal, tenantId);
  if (scope !== undefined) return fail(scope);
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  return deps.uow.run(region.value, async (tx) => {
    const user = await tx.users.get(tenantId, input.userId);
    if (user === undefined) return fail(userNotFound());
    const denied = authorizeRoleChange(principal, user.roles, input.roles);
    if (denied !== undefined) return fail(denied);
    if (sameSet(user.roles, input.roles)) return ok({ user, changed: false });
    const now = isoNow(deps);
    const changed: User = { ...user, roles: [...input.roles], updated_at: now };
    tx.users.put(changed);
    recordUserChange(tx, deps.random, {
      tenantId,
      userId: user.user_id,
      type: 'iam.user.roles_changed.v1',
      data: { roles: changed.roles, previous_roles: user.roles },
      action: 'user.roles_changed',
      actor: actorOf(principal),
      requestId: input.requestId,
      details: { ...actorDetails(principal), roles: changed.roles, previous_roles: user.roles },
      at: now,
    });
    return ok({ user: changed, changed: true });
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((r) => y.has(r));
}
