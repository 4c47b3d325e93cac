/**
 * The platform's tenant events (SPEC section 3, `tenant-events`):
 * `tenant.created.v1` and `tenant.updated.v1`, data `{tenant_id, region, policy?}`.
 */
import * as v from 'valibot';
import { IamError } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { PolicyInputSchema, REGIONS, TenantIdSchema, type PolicyInput, type Region } from '../tenants/tenant.ts';
import type { CloudEvent } from './cloud-event.ts';
import { describeIssue } from './describe-issue.ts';

/** The tenant event types iam-service consumes. */
export const TENANT_EVENT_TYPES = ['tenant.created.v1', 'tenant.updated.v1'] as const;
/** A tenant event type. */
export type TenantEventType = (typeof TENANT_EVENT_TYPES)[number];

/** The data of a tenant event: strict, unknown fields refused. */
export const TenantEventDataSchema = v.strictObject({
  tenant_id: TenantIdSchema,
  region: v.picklist(REGIONS, 'region must be one of eu, me, us'),
  policy: v.optional(PolicyInputSchema),
});

/** A validated tenant event. */
export interface TenantEvent {
  readonly id: string;
  readonly type: TenantEventType;
  /** The CloudEvents `source`: who sent it (recorded as the audit actor). */
  readonly source: string;
  readonly time: string | undefined;
  readonly data: {
    readonly tenant_id: string;
    readonly region: Region;
    readonly policy: PolicyInput | undefined;
  };
}

/** True for the types {@link parseTenantEvent} accepts. */
export function isTenantEventType(type: string): type is TenantEventType {
  return (TENANT_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Checks a CloudEvent is a tenant event: an unknown type is
 * `unsupported_event_type`, data of the wrong shape (tenant id, region,
 * policy) is `invalid_event`. Error descriptions name fields, never values.
 */
export function parseTenantEvent(event: CloudEvent): Result<TenantEvent, IamError> {
  if (!isTenantEventType(event.type)) {
    return fail(new IamError('unsupported_event_type', `tenant-events does not handle events of type '${event.type.slice(0, 100)}'`));
  }
  const data = v.safeParse(TenantEventDataSchema, event.data);
  if (!data.success) {
    return fail(new IamError('invalid_event', `bad ${event.type} data: ${describeIssue(data.issues)}`.slice(0, 300)));
  }
  return ok({
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    data: { tenant_id: data.output.tenant_id, region: data.output.region, policy: data.output.policy },
  });
}
