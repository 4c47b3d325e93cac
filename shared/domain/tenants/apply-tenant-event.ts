/**
 * Applies a platform tenant event (`tenant.created.v1`, `tenant.updated.v1`)
 * exactly once per event id, in the tenant's region (risks ).
 *
 * Rules (docs/events.md, "tenant events"):
 * - **created**: the region is claimed in the tenant directory first (first
 *   writer wins; another recorded region is `region_conflict` and nothing is
 *   written). Then one regional transaction: inbox check, tenant, outbox
 *   event, audit event, inbox entry. A created event for a tenant that already
 *   exists changes nothing (it is recorded as seen and answers
 *   `already_exists`): a creation fact is not an update, and a created event
 *   re-sent with a new id after an update must not roll the policy back.
 * - **updated**: the tenant must exist (`tenant_not_found`, so Pub/Sub
 *   redelivers until the created event has landed) in the event's region
 *   (`region_conflict`). The event carries the tenant's whole policy: it
 *   replaces the stored one, with the defaults of SPEC section 3 filled in, so
 *   an absent policy means the default policy.
 * - `version` grows by one per applied event; a redelivered event (same id)
 *   is a no-op answering `duplicate`.
 */
import { IamError } from '../errors.ts';
import type { TenantEvent } from '../events/tenant-events.ts';
import { EVENT_SOURCE, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Clock, Random, TenantDirectory, TxRepos, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { fillPolicyDefaults, type PolicyDefaultsContext, type Tenant, type TenantPolicy } from './tenant.ts';

/** The inbox consumer name of the tenant-events function. */
export const TENANT_EVENTS_CONSUMER = 'tenant-events';

/** What {@link applyTenantEvent} needs. */
export interface ApplyTenantEventDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  /** Deployment facts for the policy defaults (the edge's public origin). */
  readonly policyDefaults: PolicyDefaultsContext;
}

/** What happened to the event. */
export type ApplyTenantEventStatus = 'applied' | 'duplicate' | 'already_exists';

/** The outcome of an event that was accepted. */
export interface ApplyTenantEventOutcome {
  readonly status: ApplyTenantEventStatus;
  /** The tenant as stored after the event. */
  readonly tenant: Tenant;
  /** The id of the outbox event written, when the event was applied. */
  readonly emittedEventId: string | undefined;
}

/**
 * Applies one tenant event. Expected refusals (`invalid_event`,
 * `region_conflict`, `tenant_not_found`) are returned as values; nothing is
 * written when one is returned.
 */
export async function applyTenantEvent(
  deps: ApplyTenantEventDeps,
  event: TenantEvent,
): Promise<Result<ApplyTenantEventOutcome, IamError>> {
  const policy = fillPolicyDefaults(event.data.policy, deps.policyDefaults);
  if (typeof policy === 'string') return fail(new IamError('invalid_event', `bad ${event.type} policy: ${policy}`));
  const { tenant_id: tenantId, region } = event.data;
  const now = new Date(deps.clock.now()).toISOString();

  if (event.type === 'tenant.created.v1') {
    const recorded = await deps.directory.claim(tenantId, region, now);
    if (recorded !== region) return fail(regionConflict(tenantId, recorded));
  } else {
    const recorded = await deps.directory.regionOf(tenantId);
    if (recorded === undefined) return fail(notFound(tenantId));
    if (recorded !== region) return fail(regionConflict(tenantId, recorded));
  }

  return deps.uow.run(region, async (tx) => {
    const seen = await tx.inbox.seen(TENANT_EVENTS_CONSUMER, event.id);
    const existing = await tx.tenants.get(tenantId);
    if (seen) {
      if (existing === undefined) throw new Error(`inbox holds ${event.id} but tenant ${tenantId} is missing`);
      return ok({ status: 'duplicate', tenant: existing, emittedEventId: undefined });
    }
    if (event.type === 'tenant.created.v1' && existing !== undefined) {
      tx.inbox.record(TENANT_EVENTS_CONSUMER, event.id, tenantId, now);
      return ok({ status: 'already_exists', tenant: existing, emittedEventId: undefined });
    }
    if (event.type === 'tenant.updated.v1' && existing === undefined) return fail(notFound(tenantId));
    const tenant: Tenant = {
      tenant_id: tenantId,
      region,
      policy,
      version: (existing?.version ?? 0) + 1,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    const emitted = write(tx, deps, event, tenant, policy, now);
    return ok({ status: 'applied', tenant, emittedEventId: emitted });
  });
}

/** Buffers the tenant, its outbox event, its audit event and the inbox entry. Returns the outbox event id. */
function write(
  tx: TxRepos,
  deps: ApplyTenantEventDeps,
  event: TenantEvent,
  tenant: Tenant,
  policy: TenantPolicy,
  now: string,
): string {
  const verb = event.type === 'tenant.created.v1' ? 'created' : 'updated';
  const aggregate = `tenant/${tenant.tenant_id}`;
  const outgoing: DomainEvent = {
    id: deps.random.uuid(),
    type: `iam.tenant.${verb}.v1`,
    source: EVENT_SOURCE,
    subject: aggregate,
    time: now,
    tenant_id: tenant.tenant_id,
    ordering_key: aggregate,
    data: { tenant_id: tenant.tenant_id, region: tenant.region, version: tenant.version, policy },
  };
  const audit: AuditEvent = {
    id: deps.random.uuid(),
    tenant_id: tenant.tenant_id,
    at: now,
    actor: { type: 'platform', id: event.source },
    action: `tenant.${verb}`,
    target: aggregate,
    event_id: outgoing.id,
    request_id: null,
    details: { cause_event_id: event.id, cause_event_type: event.type, version: tenant.version },
  };
  tx.tenants.put(tenant);
  tx.outbox.add(outgoing, now);
  tx.audit.add(audit);
  tx.inbox.record(TENANT_EVENTS_CONSUMER, event.id, tenant.tenant_id, now);
  return outgoing.id;
}

function regionConflict(tenantId: string, recorded: string): IamError {
  return new IamError('region_conflict', `tenant ${tenantId} is already recorded in region ${recorded}`);
}

function notFound(tenantId: string): IamError {
  return new IamError('tenant_not_found', `tenant ${tenantId} does not exist (yet)`);
}
