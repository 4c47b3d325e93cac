/**
 * An administrator creates a user (issue 3, item 1). One transaction writes
 * the user, its email index entry, `iam.user.created.v1` and the audit event
 * with the actor. The email is normalised; a duplicate in the tenant is
 * `conflict`. An initial password passes the SP 800-63B rules and the breach
 * check, and is stored as an Argon2id PHC string with its `hash_version`.
 */
import { IamError, isIamError } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { isoNow, tenantNotFound, tenantRegion, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeRoleChange, authorizeTenant } from './admin-principal.ts';
import { normalizeEmail } from './normalize-email.ts';
import { preparePassword, type PreparePasswordDeps, type PreparedPassword } from './prepare-password.ts';
import { recordUserChange } from './user-events.ts';
import type { User } from './user.ts';

/** What {@link createUser} needs. */
export type CreateUserDeps = AccountDeps & PreparePasswordDeps;

/** The new user. */
export interface CreateUserInput extends AdminRequest {
  readonly email: string;
  /** Role names, already validated and free of duplicates at the boundary. */
  readonly roles: readonly string[];
  /** An initial password; without one the user signs in by magic link (or SSO). */
  readonly password?: string | undefined;
}

/** The created user. */
export interface CreateUserOutcome {
  readonly user: User;
  /** `unknown` when the breach check failed open; `none` without a password. */
  readonly breachCheck: 'clean' | 'unknown' | 'none';
}

/** Creates a user. Refusals are values: `access_denied`, `invalid_request`, `weak_password`, `breached_password`, `tenant_not_found`, `conflict`. */
export async function createUser(deps: CreateUserDeps, input: CreateUserInput): Promise<Result<CreateUserOutcome, IamError>> {
  const { principal, tenantId } = input;
  const denied = authorizeTenant(principal, tenantId) ?? authorizeRoleChange(principal, [], input.roles);
  if (denied !== undefined) return fail(denied);
  const email = normalizeEmail(input.email);
  if (email.kind !== 'ok') return fail(new IamError('invalid_request', `'email' is not a valid address (${email.reason})`));
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  const now = isoNow(deps);

  let prepared: PreparedPassword | undefined;
  if (input.password !== undefined) {
    const p = await preparePassword(deps, input.password, now);
    if (!p.ok) return p;
    prepared = p.value;
  }
  const user: User = {
    user_id: deps.random.uuid(),
    tenant_id: tenantId,
    email: email.email,
    roles: [...input.roles],
    status: 'active',
    password: prepared?.credential ?? null,
    mfa_methods: [],
    created_at: now,
    updated_at: now,
    created_by: actorOf(principal),
    last_login_at: null,
  };
  const breachCheck = prepared?.breachCheck ?? 'none';
  try {
    return await deps.uow.run(region.value, async (tx) => {
      if ((await tx.tenants.get(tenantId)) === undefined) return fail(tenantNotFound(tenantId));
      if ((await tx.users.findByEmail(tenantId, user.email)) !== undefined) return fail(duplicate());
      tx.users.create(user);
      recordUserChange(tx, deps.random, {
        tenantId,
        userId: user.user_id,
        type: 'iam.user.created.v1',
        data: { roles: user.roles, has_password: user.password !== null },
        action: 'user.created',
        actor: actorOf(principal),
        requestId: input.requestId,
        details: { ...actorDetails(principal), roles: user.roles, has_password: user.password !== null, breach_check: breachCheck },
        at: now,
      });
      return ok({ user, breachCheck });
    });
  } catch (e) {
    // A concurrent creation took the email between our read and our commit.
    if (isIamError(e, 'conflict')) return fail(duplicate());
    throw e;
  }
}

function duplicate(): IamError {
  return new IamError('conflict', 'a user with this email already exists in the tenant');
}
