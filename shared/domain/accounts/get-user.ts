/**
 * An administrator reads one user. The view carries no password material
 * (only whether a password is set, and its hash version). Reading a user's
 * record (personal data) is itself audited, with the actor.
 */
import type { IamError } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { isoNow, tenantRegion, userNotFound, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeTenant } from './admin-principal.ts';
import { recordUserChange } from './user-events.ts';
import type { MfaMethod, User } from './user.ts';

/** A user as an administrator sees it (snake_case: it is served as JSON). */
export interface UserView {
  readonly user_id: string;
  readonly tenant_id: string;
  readonly email: string;
  readonly roles: readonly string[];
  readonly status: 'active' | 'disabled';
  readonly has_password: boolean;
  readonly password_changed_at: string | null;
  readonly hash_version: number | null;
  readonly mfa_methods: readonly MfaMethod[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly last_login_at: string | null;
}

/** The admin view of a user: never the PHC string. */
export function viewUser(u: User): UserView {
  return {
    user_id: u.user_id,
    tenant_id: u.tenant_id,
    email: u.email,
    roles: u.roles,
    status: u.status,
    has_password: u.password !== null,
    password_changed_at: u.password?.changed_at ?? null,
    hash_version: u.password?.hash_version ?? null,
    mfa_methods: u.mfa_methods,
    created_at: u.created_at,
    updated_at: u.updated_at,
    last_login_at: u.last_login_at,
  };
}

/** The user to read. */
export interface GetUserInput extends AdminRequest {
  readonly userId: string;
}

/** Reads a user. Refusals: `access_denied`, `tenant_not_found`, `not_found`. */
export async function getUser(deps: AccountDeps, input: GetUserInput): Promise<Result<UserView, IamError>> {
  const { principal, tenantId } = input;
  const scope = authorizeTenant(principal, tenantId);
  if (scope !== undefined) return fail(scope);
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  return deps.uow.run(region.value, async (tx) => {
    const user = await tx.users.get(tenantId, input.userId);
    if (user === undefined) return fail(userNotFound());
    recordUserChange(tx, deps.random, {
      tenantId,
      userId: user.user_id,
      type: null,
      action: 'user.read',
      actor: actorOf(principal),
      requestId: input.requestId,
      details: actorDetails(principal),
      at: isoNow(deps),
    });
    return ok(viewUser(user));
  });
}
