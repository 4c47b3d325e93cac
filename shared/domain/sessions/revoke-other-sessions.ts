/**
 * `POST /v1/sessions/revoke-others`: a user revokes every family of theirs
 * but the one of the access token asking (`sid`), which keeps working. Each
 * revoked family gets its event and audit event (`session-revoked.ts`).
 */
import type { Clock, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { revokeFamilies } from './session-revoked.ts';

/** What {@link revokeOtherSessions} needs. */
export interface RevokeOtherSessionsDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
}

/** Whose families, and which one stays (the verified token's `tid`, `sub`, `sid`). */
export interface RevokeOtherSessionsInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly currentSessionId: string;
  readonly requestId: string | null;
}

/** Revokes the user's other unrevoked families. Returns how many were revoked. */
export async function revokeOtherSessions(deps: RevokeOtherSessionsDeps, input: RevokeOtherSessionsInput): Promise<{ readonly revoked: number }> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { revoked: 0 };
  const families = await deps.uow.run(region, (tx) => tx.sessions.listForUser(input.tenantId, input.userId));
  const others = families.filter((f) => f.session_id !== input.currentSessionId && f.revoked_at === null).map((f) => f.session_id);
  const at = new Date(deps.clock.now()).toISOString();
  const { revoked } = await revokeFamilies(deps, region, input.userId, others, {
    tenantId: input.tenantId,
    actor: { type: 'user', id: input.userId },
    reason: 'user_revoked_others',
    at,
    requestId: input.requestId,
  });
  return { revoked };
}
