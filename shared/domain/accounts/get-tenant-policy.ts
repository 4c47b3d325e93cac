/**
 * An administrator reads its tenant's policy (with every default filled in).
 * A read with the bootstrap credential is audited, as every use of it is.
 */
import type { IamError } from '../errors.ts';
import type { AuditEvent } from '../outbox/event.ts';
import { fail, ok, type Result } from '../result.ts';
import type { TenantPolicy } from '../tenants/tenant.ts';
import { isoNow, tenantNotFound, tenantRegion, type AccountDeps, type AdminRequest } from './account-deps.ts';
import { actorDetails, actorOf, authorizeTenant } from './admin-principal.ts';

/** The policy and the tenant's version of it. */
export interface TenantPolicyView {
  readonly tenant_id: string;
  readonly region: string;
  readonly version: number;
  readonly policy: TenantPolicy;
}

/** Reads the policy. Refusals: `access_denied`, `tenant_not_found`. */
export async function getTenantPolicy(deps: AccountDeps, input: AdminRequest): Promise<Result<TenantPolicyView, IamError>> {
  const { principal, tenantId } = input;
  const scope = authorizeTenant(principal, tenantId);
  if (scope !== undefined) return fail(scope);
  const region = await tenantRegion(deps, tenantId);
  if (!region.ok) return region;
  return deps.uow.run(region.value, async (tx) => {
    const tenant = await tx.tenants.get(tenantId);
    if (tenant === undefined) return fail(tenantNotFound(tenantId));
    if (principal.kind === 'bootstrap') {
      const audit: AuditEvent = {
        id: deps.random.uuid(),
        tenant_id: tenantId,
        at: isoNow(deps),
        actor: actorOf(principal),
        action: 'tenant.policy_read',
        target: `tenant/${tenantId}`,
        event_id: null,
        request_id: input.requestId,
        details: actorDetails(principal),
      };
      tx.audit.add(audit);
    }
    return ok({ tenant_id: tenant.tenant_id, region: tenant.region, version: tenant.version, policy: tenant.policy });
  });
}
