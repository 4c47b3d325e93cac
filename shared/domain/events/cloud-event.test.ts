import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE, type DomainEvent } from '../outbox/event.ts';
import { parsePushedEvent } from './cloud-event.ts';
import { toOutgoingMessage } from './outgoing-message.ts';

const b64 = (s: string) => btoa(s);

describe('parsePushedEvent', () => {
  it('reads the delivery facts of the envelope', () => {
    const r = parsePushedEvent({
      message: {
        data: b64('{"a":1}'),
        attributes: { 'ce-specversion': '1.0', 'ce-id': 'id-1', 'ce-type': 't.v1', 'ce-source': '//s', 'ce-subject': 'x/1', traceparent: 'ignored' },
        messageId: '42',
        message_id: '42',
        publishTime: '2026-01-01T00:00:00.123Z',
        orderingKey: 'x/1',
      },
      subscription: 'projects/p/subscriptions/s',
      deliveryAttempt: 3,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        event: { specversion: '1.0', id: 'id-1', source: '//s', type: 't.v1', time: undefined, subject: 'x/1', data: { a: 1 } },
        delivery: { messageId: '42', publishTime: '2026-01-01T00:00:00.123Z', orderingKey: 'x/1', subscription: 'projects/p/subscriptions/s', deliveryAttempt: 3, mode: 'binary' },
      },
    });
  });

  it('binary mode with no data gives undefined data (the consumer decides)', () => {
    const r = parsePushedEvent({
      message: { attributes: { 'ce-specversion': '1.0', 'ce-id': 'i', 'ce-type': 't', 'ce-source': 's' }, messageId: '1', publishTime: '2026-01-01T00:00:00Z' },
      subscription: 's',
    });
    expect(r.ok && r.value.event.data).toBeUndefined();
  });

  it('reads UTF-8 data beyond ASCII', () => {
    const json = JSON.stringify({ name: 'Zoë 東京' });
    const bytes = new TextEncoder().encode(JSON.stringify({ specversion: '1.0', id: 'i', type: 't', source: 's', data: JSON.parse(json) }));
    const data = btoa(String.fromCharCode(...bytes));
    const r = parsePushedEvent({ message: { data, messageId: '1', publishTime: '2026-01-01T00:00:00Z' }, subscription: 's' });
    expect(r.ok && r.value.event.data).toEqual({ name: 'Zoë 東京' });
    expect(r.ok && r.value.delivery.mode).toBe('structured');
  });

  it.each([
    ['null body', null],
    ['an array', []],
    ['attributes that are not strings', { message: { data: '', attributes: { 'ce-id': 1 }, messageId: '1', publishTime: '2026-01-01T00:00:00Z' }, subscription: 's' }],
    ['binary mode, specversion 0.3', { message: { data: b64('{}'), attributes: { 'ce-specversion': '0.3', 'ce-id': 'i', 'ce-type': 't', 'ce-source': 's' }, messageId: '1', publishTime: '2026-01-01T00:00:00Z' }, subscription: 's' }],
    ['an id with spaces', { message: { data: b64('{}'), attributes: { 'ce-specversion': '1.0', 'ce-id': 'a b', 'ce-type': 't', 'ce-source': 's' }, messageId: '1', publishTime: '2026-01-01T00:00:00Z' }, subscription: 's' }],
    ['binary content-type text/plain', { message: { data: b64('{}'), attributes: { 'ce-specversion': '1.0', 'ce-id': 'i', 'ce-type': 't', 'ce-source': 's', 'content-type': 'text/plain' }, messageId: '1', publishTime: '2026-01-01T00:00:00Z' }, subscription: 's' }],
  ])('refuses %s with invalid_event', (_name, body) => {
    const r = parsePushedEvent(body);
    expect(!r.ok && r.error.code).toBe('invalid_event');
  });

  it('reads back what the relay publishes (the binary binding both ways)', () => {
    const event: DomainEvent = {
      id: 'ev-9',
      type: 'iam.tenant.updated.v1',
      source: EVENT_SOURCE,
      subject: 'tenant/t1',
      time: '2026-01-01T00:00:00.000Z',
      tenant_id: 't1',
      ordering_key: 'tenant/t1',
      data: { tenant_id: 't1', version: 2 },
    };
    const m = toOutgoingMessage(event, 'iam-events');
    const r = parsePushedEvent({
      message: { data: btoa(String.fromCharCode(...m.data)), attributes: m.attributes, messageId: '1', publishTime: '2026-01-01T00:00:01Z', orderingKey: m.orderingKey },
      subscription: 's',
    });
    expect(r.ok && r.value.event).toEqual({ specversion: '1.0', id: 'ev-9', source: EVENT_SOURCE, type: 'iam.tenant.updated.v1', time: event.time, subject: 'tenant/t1', data: event.data });
    expect(r.ok && r.value.delivery.orderingKey).toBe('tenant/t1');
  });
});
