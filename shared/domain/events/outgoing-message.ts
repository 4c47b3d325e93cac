/**
 * How an outbox event becomes a Pub/Sub message: the CloudEvents Pub/Sub
 * protocol binding in binary mode. The message data is the JSON event data;
 * the context travels as `ce-` attributes, so a subscriber can filter and
 * dedupe without decoding the data.
 */
import type { DomainEvent } from '../outbox/event.ts';
import type { OutgoingMessage } from '../ports.ts';
import { CLOUDEVENTS_SPECVERSION } from './cloud-event.ts';

/** The attribute consumers dedupe on: the CloudEvents `id`, stable across redeliveries. */
export const DEDUPE_ATTRIBUTE = 'ce-id';

const encoder = new TextEncoder();

/**
 * The Pub/Sub message for an outbox event: ordering key = the aggregate,
 * attributes = the CloudEvents binary binding plus `tenant_id`.
 */
export function toOutgoingMessage(event: DomainEvent, topic: string): OutgoingMessage {
  return {
    topic,
    orderingKey: event.ordering_key,
    data: encoder.encode(JSON.stringify(event.data)),
    attributes: {
      'ce-specversion': CLOUDEVENTS_SPECVERSION,
      'ce-id': event.id,
      'ce-type': event.type,
      'ce-source': event.source,
      'ce-time': event.time,
      'ce-subject': event.subject,
      'content-type': 'application/json',
      tenant_id: event.tenant_id,
    },
  };
}
