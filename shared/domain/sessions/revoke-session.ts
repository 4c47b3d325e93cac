/**
 * `DELETE /v1/sessions/{session_id}`: a user revokes one of their own
 * session families. A family of another user or another tenant, or one that
 * does not exist, is `not_found`, the same answer for all three, so nobody
 * learns whether someone else's session id exists. Revoking a family already
 * revoked changes nothing and succeeds (DELETE is idempotent).
 */
import { IamError } from '../errors.ts';
import type { Clock, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { revocationIds, writeSessionRevocation } from './session-revoked.ts';

/** What {@link revokeSession} needs. */
export interface RevokeSessionDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
}

/** Which family, and whose request (the verified token's `tid` and `sub`). */
export interface RevokeSessionInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly requestId: string | null;
}

/** The refusal: `not_found`, whatever the reason. */
function notFound(): IamError {
  return new IamError('not_found', 'no such session');
}

/** Revokes one family of the user; `revoked` is false when it already was. */
export async function revokeSession(deps: RevokeSessionDeps, input: RevokeSessionInput): Promise<Result<{ readonly revoked: boolean }, IamError>> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return fail(notFound());
  const at = new Date(deps.clock.now()).toISOString();
  const ids = revocationIds(deps.random);
  return deps.uow.run(region, async (tx) => {
    // `get` never returns a family of another tenant, whatever id is asked for.
    const family = await tx.sessions.get(input.tenantId, input.sessionId);
    if (family === undefined || family.user_id !== input.userId) return fail(notFound());
    if (family.revoked_at !== null) return ok({ revoked: false });
    const actor = { type: 'user', id: input.userId } as const;
    writeSessionRevocation(tx, family, { tenantId: input.tenantId, actor, reason: 'user_revoked', at, requestId: input.requestId }, ids);
    return ok({ revoked: true });
  });
}
