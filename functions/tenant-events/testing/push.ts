/**
 * Test helpers: Pub/Sub push request bodies, as Pub/Sub sends them, carrying a
 * CloudEvent in binary or structured mode.
 */

/** The CloudEvent context a test sets. */
export interface TestEvent {
  readonly id: string;
  readonly type: string;
  readonly source?: string;
  readonly data: unknown;
}

const SOURCE = '//platform.melmastoon.com/tenants';
let seq = 0;

function envelope(data: string, attributes: Record<string, string>): Record<string, unknown> {
  seq++;
  const publishTime = new Date().toISOString();
  return {
    message: { data, attributes, messageId: String(1000 + seq), message_id: String(1000 + seq), publishTime, publish_time: publishTime },
    subscription: 'projects/demo-test/subscriptions/tenant-events-push',
  };
}

/** A push body in the binary binding: `ce-` attributes, data = the JSON payload. */
export function binaryPush(event: TestEvent, extraAttributes: Record<string, string> = {}): Record<string, unknown> {
  return envelope(Buffer.from(JSON.stringify(event.data)).toString('base64'), {
    'ce-specversion': '1.0',
    'ce-id': event.id,
    'ce-type': event.type,
    'ce-source': event.source ?? SOURCE,
    'ce-time': new Date().toISOString(),
    'content-type': 'application/json',
    ...extraAttributes,
  });
}

/** A push body in structured mode: the data is the JSON CloudEvent (or `raw` bytes as given). */
export function structuredPush(cloudEvent: unknown, raw?: Buffer): Record<string, unknown> {
  return envelope((raw ?? Buffer.from(JSON.stringify(cloudEvent))).toString('base64'), {});
}

/** A structured CloudEvent object for `event`. */
export function structuredEvent(event: TestEvent): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: event.id,
    type: event.type,
    source: event.source ?? SOURCE,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: event.data,
  };
}
