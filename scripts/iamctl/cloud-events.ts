/**
 * Publishing a CloudEvent the way the platform does: Pub/Sub binary binding
 * (`ce-` attributes, JSON data), with an ordering key per aggregate.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../shared/config.ts';
import type { EventPublisher } from '../../shared/domain/ports.ts';

/** The CloudEvents `source` of events iamctl publishes. */
export const IAMCTL_SOURCE = '//iamctl.melmastoon.com/operator';

/** The topic the platform publishes tenant events to. */
export const TENANT_EVENTS_TOPIC = 'tenant-events';
/** The topic of the GDPR saga's erasure requests. */
export const GDPR_ERASURE_TOPIC = 'gdpr-erasure';

/** The topic an event type goes to by default, or undefined when it has none. */
export function topicFor(type: string, config: Pick<Config, 'eventsTopic'>): string | undefined {
  if (type.startsWith('tenant.')) return TENANT_EVENTS_TOPIC;
  if (type.startsWith('gdpr.')) return GDPR_ERASURE_TOPIC;
  if (type.startsWith('iam.')) return config.eventsTopic;
  return undefined;
}

/** One event to publish. */
export interface CloudEventToPublish {
  readonly topic: string;
  readonly type: string;
  readonly data: unknown;
  readonly id?: string;
  readonly source?: string;
  /** Defaults to `tenant/<data.tenant_id>` when the data names a tenant, else none. */
  readonly orderingKey?: string;
}

/** What was published. */
export interface Published {
  readonly event_id: string;
  readonly message_id: string;
  readonly topic: string;
  readonly type: string;
  readonly ordering_key: string | null;
}

/** Publishes one CloudEvent in binary mode. */
export async function publishCloudEvent(publisher: EventPublisher, event: CloudEventToPublish): Promise<Published> {
  const id = event.id ?? randomUUID();
  const tenant = typeof event.data === 'object' && event.data !== null ? (event.data as { tenant_id?: unknown }).tenant_id : undefined;
  const orderingKey = event.orderingKey ?? (typeof tenant === 'string' && tenant !== '' ? `tenant/${tenant}` : '');
  const messageId = await publisher.publish({
    topic: event.topic,
    orderingKey,
    data: new TextEncoder().encode(JSON.stringify(event.data)),
    attributes: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': event.type,
      'ce-source': event.source ?? IAMCTL_SOURCE,
      'ce-time': new Date().toISOString(),
      'content-type': 'application/json',
    },
  });
  return { event_id: id, message_id: messageId, topic: event.topic, type: event.type, ordering_key: orderingKey === '' ? null : orderingKey };
}
