/**
 * CloudEvents 1.0 as iam-service receives them over Pub/Sub push, and the
 * Pub/Sub protocol binding it publishes with.
 *
 * Two inbound modes are accepted (CloudEvents Pub/Sub protocol binding §3):
 * - **binary**: the message attributes carry the context (`ce-specversion`,
 *   `ce-id`, `ce-type`, `ce-source`, `ce-time`, `ce-subject`, `content-type`)
 *   and the message data is the event data;
 * - **structured**: the message data is the whole JSON CloudEvent
 *   (`specversion`, `id`, `source`, `type`, `data`, ...).
 *
 * Extension attributes (`traceparent`, ...) are allowed and ignored, as
 * CloudEvents §3.1 lets consumers do. The event `data` itself is validated by
 * each consumer with a strict schema.
 */
import * as v from 'valibot';
import { IamError } from '../errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { describeIssue } from './describe-issue.ts';

/** The CloudEvents spec version we speak. */
export const CLOUDEVENTS_SPECVERSION = '1.0';

/** A received CloudEvent with its Pub/Sub delivery facts. */
export interface CloudEvent {
  readonly specversion: '1.0';
  /** Unique per event (with `source`); consumers dedupe on it. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string | undefined;
  readonly subject: string | undefined;
  /** The decoded JSON data, not yet validated. */
  readonly data: unknown;
}

/** How the event came: which Pub/Sub message, on which subscription. */
export interface Delivery {
  readonly messageId: string;
  readonly publishTime: string;
  readonly orderingKey: string | undefined;
  readonly subscription: string;
  /** Present when the subscription has a dead-letter policy. */
  readonly deliveryAttempt: number | undefined;
  readonly mode: 'binary' | 'structured';
}

/** A pushed CloudEvent. */
export interface PushedEvent {
  readonly event: CloudEvent;
  readonly delivery: Delivery;
}

const EventId = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,256}$/, 'an event id is 1-256 printable ASCII characters'));
const Source = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
const EventType = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][\w.-]{0,254}$/, 'an event type is a dotted name'));
const Time = v.pipe(v.string(), v.isoTimestamp());
const Subject = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
/** Only JSON data is understood (CloudEvents §3.1.1 `datacontenttype`). */
const JsonContentType = v.pipe(v.string(), v.regex(/^application\/json\s*(;.*)?$/i, 'datacontenttype must be application/json'));

/**
 * A Pub/Sub push request body. The envelope belongs to Pub/Sub, which adds
 * fields over time (`message_id`, `publish_time`, `deliveryAttempt`), so
 * unknown envelope fields are ignored rather than refused.
 */
export const PushEnvelopeSchema = v.object({
  message: v.object({
    data: v.optional(v.pipe(v.string(), v.maxLength(128 * 1024), v.base64('message.data is not base64')), ''),
    attributes: v.optional(v.record(v.string(), v.string()), {}),
    messageId: v.pipe(v.string(), v.minLength(1)),
    publishTime: Time,
    orderingKey: v.optional(v.string()),
  }),
  subscription: v.pipe(v.string(), v.minLength(1)),
  deliveryAttempt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

/** A structured-mode CloudEvent (JSON event format). */
const StructuredSchema = v.object({
  specversion: v.literal(CLOUDEVENTS_SPECVERSION),
  id: EventId,
  source: Source,
  type: EventType,
  time: v.optional(Time),
  subject: v.optional(Subject),
  datacontenttype: v.optional(JsonContentType),
  data: v.optional(v.unknown()),
  data_base64: v.optional(v.pipe(v.string(), v.base64())),
});

/** The binary-mode context attributes (Pub/Sub binding: `ce-` prefixed attributes). */
const BinaryAttributesSchema = v.object({
  'ce-specversion': v.literal(CLOUDEVENTS_SPECVERSION),
  'ce-id': EventId,
  'ce-source': Source,
  'ce-type': EventType,
  'ce-time': v.optional(Time),
  'ce-subject': v.optional(Subject),
  'content-type': v.optional(JsonContentType),
  'ce-datacontenttype': v.optional(JsonContentType),
});

function invalid(what: string, issues?: readonly v.BaseIssue<unknown>[]): IamError {
  const detail = issues === undefined ? '' : `: ${describeIssue(issues)}`;
  return new IamError('invalid_event', `${what}${detail}`.slice(0, 300));
}

/** Decodes standard base64 to UTF-8 text, or undefined when the bytes are not UTF-8. */
function decodeBase64Text(b64: string): string | undefined {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJson(text: string | undefined, what: string): Result<unknown, IamError> {
  if (text === undefined) return fail(invalid(`${what} is not UTF-8`));
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return fail(invalid(`${what} is not valid JSON`));
  }
}

/**
 * Parses a Pub/Sub push body into a CloudEvent, in binary mode when the
 * attributes carry `ce-specversion`, else in structured mode. Every failure is
 * `invalid_event`; the event type is not checked here.
 */
export function parsePushedEvent(body: unknown): Result<PushedEvent, IamError> {
  const envelope = v.safeParse(PushEnvelopeSchema, body);
  if (!envelope.success) return fail(invalid('not a Pub/Sub push envelope', envelope.issues));
  const m = envelope.output.message;
  const binary = Object.hasOwn(m.attributes, 'ce-specversion');
  const delivery: Delivery = {
    messageId: m.messageId,
    publishTime: m.publishTime,
    orderingKey: m.orderingKey === '' ? undefined : m.orderingKey,
    subscription: envelope.output.subscription,
    deliveryAttempt: envelope.output.deliveryAttempt,
    mode: binary ? 'binary' : 'structured',
  };
  const event = binary ? fromBinary(m.attributes, m.data) : fromStructured(m.data);
  return event.ok ? ok({ event: event.value, delivery }) : event;
}

function fromBinary(attributes: Readonly<Record<string, string>>, data: string): Result<CloudEvent, IamError> {
  const attrs = v.safeParse(BinaryAttributesSchema, attributes);
  if (!attrs.success) return fail(invalid('bad CloudEvent attributes', attrs.issues));
  const a = attrs.output;
  let payload: unknown = undefined;
  if (data !== '') {
    const parsed = parseJson(decodeBase64Text(data), 'the event data');
    if (!parsed.ok) return parsed;
    payload = parsed.value;
  }
  return ok({
    specversion: a['ce-specversion'],
    id: a['ce-id'],
    source: a['ce-source'],
    type: a['ce-type'],
    time: a['ce-time'],
    subject: a['ce-subject'],
    data: payload,
  });
}

function fromStructured(data: string): Result<CloudEvent, IamError> {
  if (data === '') return fail(invalid('the message has no data and no CloudEvent attributes'));
  const json = parseJson(decodeBase64Text(data), 'the message data');
  if (!json.ok) return json;
  const parsed = v.safeParse(StructuredSchema, json.value);
  if (!parsed.success) return fail(invalid('not a CloudEvent', parsed.issues));
  const e = parsed.output;
  let payload: unknown = e.data;
  if (e.data_base64 !== undefined) {
    if (e.data !== undefined) return fail(invalid('a CloudEvent has either data or data_base64, not both'));
    const inner = parseJson(decodeBase64Text(e.data_base64), 'data_base64');
    if (!inner.ok) return inner;
    payload = inner.value;
  }
  return ok({
    specversion: e.specversion,
    id: e.id,
    source: e.source,
    type: e.type,
    time: e.time,
    subject: e.subject,
    data: payload,
  });
}
