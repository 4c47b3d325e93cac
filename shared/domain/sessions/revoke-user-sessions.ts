/**
 * `iamctl sessions revoke --user U --tenant T`: an operator revokes every
 * session family of one user. Unlike the tenant- and platform-wide
 * revocations (one epoch write, `revocation-epoch-*.ts`) this marks each
 * family, in batches (`revokeFamilies`), each with its
 * `iam.session.revoked.v1` and an audit event naming the operator.
 */
import { IamError } from '../errors.ts';
import type { Actor } from '../outbox/event.ts';
import type { Clock, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { revokeFamilies } from './session-revoked.ts';

/** What {@link revokeUserSessions} needs. */
export interface RevokeUserSessionsDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
}

/** Whose sessions and who revokes them. Authorisation is the caller's. */
export interface RevokeUserSessionsInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly actor: Actor;
  readonly requestId?: string | null;
}

/** What was done. */
export interface RevokeUserSessionsOutcome {
  /** Families revoked now. */
  readonly revoked: number;
  /** Families of the user that were revoked already. */
  readonly alreadyRevoked: number;
  /** Transactions that wrote. */
  readonly batches: number;
}

/**
 * Revokes every unrevoked family of the user. Refusals: `tenant_not_found`;
 * `not_found` when the tenant has neither the user nor any family of theirs.
 */
export async function revokeUserSessions(deps: RevokeUserSessionsDeps, input: RevokeUserSessionsInput): Promise<Result<RevokeUserSessionsOutcome, IamError>> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return fail(new IamError('tenant_not_found', `no tenant ${input.tenantId}`));
  const found = await deps.uow.run(region, async (tx) => {
    const [tenant, user, families] = await Promise.all([
      tx.tenants.get(input.tenantId),
      tx.users.get(input.tenantId, input.userId),
      tx.sessions.listForUser(input.tenantId, input.userId),
    ]);
    return { tenant, user, families };
  });
  if (found.tenant === undefined) return fail(new IamError('tenant_not_found', `no tenant ${input.tenantId}`));
  // An erased user may have left families behind: revoke them all the same.
  if (found.user === undefined && found.families.length === 0) return fail(new IamError('not_found', `no user ${input.userId} in tenant ${input.tenantId}`));
  const open = found.families.filter((f) => f.revoked_at === null).map((f) => f.session_id);
  const at = new Date(deps.clock.now()).toISOString();
  const { revoked, batches } = await revokeFamilies(deps, region, input.userId, open, {
    tenantId: input.tenantId,
    actor: input.actor,
    reason: 'admin_revoked_user',
    at,
    requestId: input.requestId ?? null,
  });
  return ok({ revoked, alreadyRevoked: found.families.length - open.length, batches });
}
