/**
 * Revoking every session family of one tenant (SPEC section 4 item 3;
 * `iamctl sessions revoke --tenant T`): the tenant's revocation epoch is
 * raised in the tenant's own region's database. One document write, whatever
 * the number of sessions, with its audit event and
 * `iam.session.mass_revoked.v1` in the same transaction.
 */
import { IamError } from '../errors.ts';
import type { Actor } from '../outbox/event.ts';
import type { Clock, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { massRevokedAudit, massRevokedEvent } from './revocation-epoch-platform.ts';
import { raiseEpoch, type RevocationEpoch } from './revocation-epoch.ts';

/** What {@link revokeTenantSessions} needs. */
export interface RevokeTenantSessionsDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
}

/** Whose sessions, who revokes, and why. Authorisation is the caller's. */
export interface RevokeTenantSessionsInput {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly reason: string;
  readonly requestId?: string | null;
}

/** Raises the tenant's epoch to now. Refusal: `tenant_not_found`. */
export async function revokeTenantSessions(
  deps: RevokeTenantSessionsDeps,
  input: RevokeTenantSessionsInput,
): Promise<Result<RevocationEpoch, IamError>> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return fail(new IamError('tenant_not_found', `no tenant ${input.tenantId}`));
  const at = new Date(deps.clock.now()).toISOString();
  const eventId = deps.random.uuid();
  const auditId = deps.random.uuid();
  return deps.uow.run(region, async (tx) => {
    if ((await tx.tenants.get(input.tenantId)) === undefined) return fail(new IamError('tenant_not_found', `no tenant ${input.tenantId}`));
    const stored = await tx.revocationEpochs.get(input.tenantId);
    const epoch = raiseEpoch(stored, { scope: input.tenantId, at, actor: input.actor, reason: input.reason });
    tx.revocationEpochs.put(epoch);
    tx.outbox.add(massRevokedEvent(epoch, eventId), at);
    tx.audit.add(massRevokedAudit(epoch, auditId, eventId, input.requestId ?? null));
    return ok(epoch);
  });
}
