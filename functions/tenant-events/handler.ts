/**
 * The tenant-events handler: a Pub/Sub push subscription's target. It parses
 * the push envelope and the CloudEvent inside, and applies the tenant event.
 *
 * Pub/Sub push reads any 2xx as an ack and anything else as a nack: 204 for an
 * applied or duplicate event; a 4xx envelope for a refused one, which Pub/Sub
 * redelivers with backoff until the subscription's dead-letter policy moves it
 * to the DLQ (`tenant_not_found` heals itself once the created event lands).
 */
import { applyTenantEvent, type ApplyTenantEventDeps } from '../../shared/domain/tenants/apply-tenant-event.ts';
import { IamError } from '../../shared/domain/errors.ts';
import { parsePushedEvent } from '../../shared/domain/events/cloud-event.ts';
import { parseTenantEvent } from '../../shared/domain/events/tenant-events.ts';
import { readBody } from '../../shared/http/parse-body.ts';
import type { Handler } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';

/** What the handler needs: the use case's ports and a logger. */
export interface TenantEventsDeps extends ApplyTenantEventDeps {
  readonly log: Logger;
}

/** Builds the handler. It answers POST on any path (the push endpoint's path is deployment detail). */
export function tenantEventsHandler(deps: TenantEventsDeps): Handler {
  return async (req) => {
    if (req.method !== 'POST') throw new IamError('method_not_allowed', 'the push endpoint takes POST');
    const log = deps.log.child({ request_id: req.requestId });
    const pushed = parsePushedEvent(readBody(req, ['json']));
    if (!pushed.ok) throw pushed.error;
    const { event, delivery } = pushed.value;
    const facts = { event_id: event.id, event_type: event.type, message_id: delivery.messageId, delivery_attempt: delivery.deliveryAttempt };
    const parsed = parseTenantEvent(event);
    if (!parsed.ok) {
      log.warn('tenant event refused', { ...facts, error: parsed.error.code });
      throw parsed.error;
    }
    const result = await applyTenantEvent(deps, parsed.value);
    if (!result.ok) {
      log.warn('tenant event refused', { ...facts, tenant_id: parsed.value.data.tenant_id, error: result.error.code });
      throw result.error;
    }
    log.info('tenant event', { ...facts, tenant_id: result.value.tenant.tenant_id, status: result.value.status, version: result.value.tenant.version });
    return { status: 204 };
  };
}
