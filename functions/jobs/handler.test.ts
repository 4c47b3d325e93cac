import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../shared/adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../shared/adapters/memory/stores.ts';
import { createMemoryPublisher, type MemoryPublisher } from '../../shared/adapters/pubsub/memory-publisher.ts';
import { EVENT_SOURCE } from '../../shared/domain/outbox/event.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { fakeRequest, type FakeRequestInit } from '../../shared/http/fixtures/request.ts';
import type { HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { jobsHandler } from './handler.ts';

const log = createLogger({ service: 'jobs-test', write: () => undefined });
const T0 = Date.parse('2026-05-01T12:00:00.000Z');

describe('jobs handler', () => {
  let stores: MemoryStores;
  let publisher: MemoryPublisher;
  let loads: number;
  let call: (init: FakeRequestInit) => Promise<HttpResponse>;

  beforeEach(async () => {
    stores = createMemoryStores();
    publisher = createMemoryPublisher();
    loads = 0;
    const handler = jobsHandler({
      runtime: async () => {
        loads++;
        return { uow: stores.uow, publisher, eventsTopic: 'iam-events' };
      },
      clock: fixedClock(T0),
      log,
    });
    call = async (init) => {
      const req = fakeRequest(init);
      try {
        return await handler(req);
      } catch (e) {
        return errorResponse(e, req.requestId, log);
      }
    };
    await stores.directory.claim('t1', 'me', new Date(T0).toISOString());
    await stores.uow.run('me', async (tx) => {
      tx.outbox.add(
        { id: 'ev-1', type: 'iam.tenant.created.v1', source: EVENT_SOURCE, subject: 'tenant/t1', time: new Date(T0).toISOString(), tenant_id: 't1', ordering_key: 'tenant/t1', data: {} },
        new Date(T0 - 3600_000).toISOString(),
      );
      tx.audit.add({ id: 'a-1', tenant_id: 't1', at: new Date(T0 - 3600_000).toISOString(), actor: { type: 'platform', id: 'x' }, action: 'tenant.created', target: 'tenant/t1', event_id: 'ev-1', request_id: null, details: {} });
    });
  });

  it('GET /jobs/health answers 200 without building the clients', async () => {
    const res = await call({ method: 'GET', path: '/jobs/health' });
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(loads).toBe(0);
  });

  it('POST /jobs/outbox-relay with no body relays and reports', async () => {
    const res = await call({ method: 'POST', path: '/jobs/outbox-relay' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ leased: 1, published: 1, failures: [] });
    expect(publisher.messages.map((m) => m.attributes['ce-id'])).toEqual(['ev-1']);
  });

  it('POST /jobs/outbox-relay takes a limit', async () => {
    const res = await call({ method: 'POST', path: '/jobs/outbox-relay', body: { limit: 1 } });
    expect(res.status).toBe(200);
  });

  it.each([
    [{ limit: 0 }, 'invalid_request'],
    [{ limit: 501 }, 'invalid_request'],
    [{ limit: 'ten' }, 'invalid_request'],
    [{ batch: 3 }, 'invalid_request'],
  ])('POST /jobs/outbox-relay refuses %j', async (body, code) => {
    const res = await call({ method: 'POST', path: '/jobs/outbox-relay', body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: code });
    expect(publisher.messages).toHaveLength(0);
  });

  it('POST /jobs/reconcile-outbox reports on the last 25 hours by default', async () => {
    await call({ method: 'POST', path: '/jobs/outbox-relay' });
    const res = await call({ method: 'POST', path: '/jobs/reconcile-outbox' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      from: new Date(T0 - 25 * 3600_000).toISOString(),
      to: new Date(T0).toISOString(),
      counts: { audit_events: 1, outbox_rows: 1, published: 1 },
    });
  });

  it('POST /jobs/reconcile-outbox reports a stale row as not ok', async () => {
    const res = await call({ method: 'POST', path: '/jobs/reconcile-outbox', body: { from: '2026-05-01T00:00:00Z', to: '2026-05-01T12:00:00Z' } });
    expect(res.body).toMatchObject({ ok: false, counts: { stale_unpublished: 1 } });
  });

  it.each([
    [{ from: 'yesterday' }],
    [{ from: '2026-05-02T00:00:00Z', to: '2026-05-01T00:00:00Z' }],
    [{ window: 1 }],
    // isoTimestamp() accepts these, Date.parse does not: a 400, never the RangeError's 500.
    [{ to: '2024-01-01T00:00:00+00' }],
    [{ from: '2024-01-01T00:00:00+00', to: '2024-01-02T00:00:00Z' }],
  ])('POST /jobs/reconcile-outbox refuses %j', async (body) => {
    const res = await call({ method: 'POST', path: '/jobs/reconcile-outbox', body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request' });
  });

  it('POST /jobs/shred-grace clears lapsed sealed successors of every region and reports them; a bad body is 400', async () => {
    const sealed = { v: 1, alg: 'A256GCM', kid: 'k', wrapped_key: 'd2s', iv: 'aXY', ciphertext: 'Y3Q' } as const;
    const record = (hash: string, graceUntil: string) => ({
      token_hash: hash,
      tenant_id: 't1',
      session_id: 's1',
      user_id: 'u1',
      client_id: 'web',
      status: 'rotated' as const,
      parent: null,
      created_at: new Date(T0 - 60_000).toISOString(),
      used_at: new Date(T0 - 30_000).toISOString(),
      successor: 'next',
      successor_sealed: sealed,
      grace_until: graceUntil,
    });
    await stores.uow.run('me', async (tx) => {
      tx.refreshTokens.create(record('lapsed', new Date(T0 - 20_000).toISOString()));
      tx.refreshTokens.create(record('open', new Date(T0 + 5_000).toISOString()));
    });
    const res = await call({ method: 'POST', path: '/jobs/shred-grace' });
    expect(res).toMatchObject({ status: 200, body: { shredded: 1, by_region: { eu: 0, me: 1, us: 0 }, more: false } });
    expect(await stores.uow.run('me', (tx) => tx.refreshTokens.get('t1', 'lapsed'))).toMatchObject({ successor_sealed: null, grace_until: null });
    expect(await stores.uow.run('me', (tx) => tx.refreshTokens.get('t1', 'open'))).toMatchObject({ successor_sealed: sealed });
    for (const body of [{ batch_size: 0 }, { max_batches: 101 }, { all: true }]) {
      expect(await call({ method: 'POST', path: '/jobs/shred-grace', body })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    }
  });

  it('answers 404 for an unknown job and 405 for a wrong method', async () => {
    expect((await call({ method: 'POST', path: '/jobs/nope' })).status).toBe(404);
    expect((await call({ method: 'GET', path: '/jobs/outbox-relay' })).status).toBe(405);
  });
});
