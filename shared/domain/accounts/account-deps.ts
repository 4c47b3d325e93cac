/** What every accounts use case needs, and the request every admin use case takes. */
import { IamError } from '../errors.ts';
import type { Clock, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import type { Region } from '../tenants/tenant.ts';
import type { AdminPrincipal } from './admin-principal.ts';

/** The ports of the accounts use cases. */
export interface AccountDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
}

/** Who asks, about which tenant, under which request id. */
export interface AdminRequest {
  readonly principal: AdminPrincipal;
  readonly tenantId: string;
  /** The `x-request-id`, recorded in the audit event. */
  readonly requestId: string | null;
}

/** The region of a tenant, or `tenant_not_found`. */
export async function tenantRegion(deps: Pick<AccountDeps, 'directory'>, tenantId: string): Promise<Result<Region, IamError>> {
  const region = await deps.directory.regionOf(tenantId);
  return region === undefined ? fail(tenantNotFound(tenantId)) : ok(region);
}

/** `tenant_not_found` for `tenantId`. */
export function tenantNotFound(tenantId: string): IamError {
  return new IamError('tenant_not_found', `no tenant '${tenantId}'`);
}

/** `not_found` for a user (also for a user of another tenant: walls say nothing). */
export function userNotFound(): IamError {
  return new IamError('not_found', 'no such user in this tenant');
}

/** The clock's instant, ISO 8601 UTC. */
export function isoNow(deps: Pick<AccountDeps, 'clock'>): string {
  return new Date(deps.clock.now()).toISOString();
}
