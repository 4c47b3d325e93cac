import { beforeEach, describe, expect, it } from 'vitest';
import { fixedClock, cryptoRandom } from '../../shared/adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../shared/adapters/memory/stores.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { fakeRequest } from '../../shared/http/fixtures/request.ts';
import type { HttpRequest, HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { tenantEventsHandler } from './handler.ts';
import { binaryPush, structuredEvent, structuredPush } from './testing/push.ts';
import { snapshotDatabases } from './testing/snapshot.ts';

const log = createLogger({ service: 'tenant-events-test', write: () => undefined });

describe('tenant-events handler', () => {
  let stores: MemoryStores;
  let call: (req: HttpRequest) => Promise<HttpResponse>;

  beforeEach(() => {
    stores = createMemoryStores();
    const handler = tenantEventsHandler({
      uow: stores.uow,
      directory: stores.directory,
      clock: fixedClock(Date.parse('2026-02-01T00:00:00Z')),
      random: cryptoRandom,
      policyDefaults: { publicOrigin: 'http://127.0.0.1:8080' },
      log,
    });
    call = async (req) => {
      try {
        return await handler(req);
      } catch (e) {
        return errorResponse(e, req.requestId, log);
      }
    };
  });

  const push = (body: Record<string, unknown>) => call(fakeRequest({ body }));
  const created = (id: string, data: unknown) => binaryPush({ id, type: 'tenant.created.v1', data });

  describe('accepted events answer 204', () => {
    it('binary mode: stores the tenant in its region only', async () => {
      const res = await push(created('ev-1', { tenant_id: 't1', region: 'me' }));
      expect(res.status).toBe(204);
      expect(await stores.databases.regions.me.get('tenants', 't1')).toMatchObject({ region: 'me', version: 1 });
      expect(await stores.databases.regions.eu.query('tenants', {})).toHaveLength(0);
      expect(await stores.databases.regions.us.query('tenants', {})).toHaveLength(0);
    });

    it('structured mode', async () => {
      const ce = structuredEvent({ id: 'ev-s', type: 'tenant.created.v1', data: { tenant_id: 't2', region: 'eu', policy: { sso: { required: true } } } });
      const res = await push(structuredPush(ce));
      expect(res.status).toBe(204);
      const t = await stores.databases.regions.eu.get('tenants', 't2');
      expect(t?.['policy']).toMatchObject({ sso: { required: true, emergency_fallback: 'none' }, webauthn: { origins: ['http://127.0.0.1:8080', 'http://localhost:8080'] } });
    });

    it('structured mode with data_base64', async () => {
      const ce = structuredEvent({ id: 'ev-b64', type: 'tenant.created.v1', data: undefined });
      const res = await push(structuredPush({ ...ce, data: undefined, data_base64: Buffer.from(JSON.stringify({ tenant_id: 't3', region: 'us' })).toString('base64') }));
      expect(res.status).toBe(204);
      expect(await stores.databases.regions.us.get('tenants', 't3')).toBeDefined();
    });

    it('a redelivery (same ce-id) is a 204 that writes nothing', async () => {
      const body = created('ev-1', { tenant_id: 't1', region: 'me' });
      expect((await push(body)).status).toBe(204);
      const before = await snapshotDatabases(stores.databases);
      expect((await push({ ...body, deliveryAttempt: 2 })).status).toBe(204);
      expect(await snapshotDatabases(stores.databases)).toEqual(before);
    });

    it('ignores unknown envelope fields and CloudEvents extension attributes', async () => {
      const body = binaryPush({ id: 'ev-x', type: 'tenant.created.v1', data: { tenant_id: 't9', region: 'me' } }, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      const res = await push({ ...body, futureField: true });
      expect(res.status).toBe(204);
    });
  });

  describe('refusals: 4xx with the envelope, and nothing written', () => {
    const b64 = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s) : s).toString('base64');
    const msg = (message: Record<string, unknown>) => ({
      message: { messageId: '1', publishTime: '2026-02-01T00:00:00Z', ...message },
      subscription: 'projects/p/subscriptions/s',
    });
    const okData = { tenant_id: 't1', region: 'me' };
    const cases: Array<{ name: string; body: () => Record<string, unknown> | string; code: string; status: number; contentType?: string }> = [
      { name: 'body is not JSON', body: () => '{"message":', code: 'invalid_json', status: 400 },
      { name: 'wrong content type', body: () => 'x', code: 'unsupported_media_type', status: 415, contentType: 'text/plain' },
      { name: 'no message', body: () => ({ subscription: 's' }), code: 'invalid_event', status: 400 },
      { name: 'message without messageId', body: () => ({ message: { data: b64('{}'), publishTime: '2026-02-01T00:00:00Z' }, subscription: 's' }), code: 'invalid_event', status: 400 },
      { name: 'no subscription', body: () => ({ message: { data: b64('{}'), messageId: '1', publishTime: '2026-02-01T00:00:00Z' } }), code: 'invalid_event', status: 400 },
      { name: 'bad publishTime', body: () => msg({ data: b64('{}'), publishTime: 'yesterday' }), code: 'invalid_event', status: 400 },
      { name: 'data is not base64', body: () => msg({ data: '***not base64***' }), code: 'invalid_event', status: 400 },
      { name: 'data is not UTF-8', body: () => msg({ data: b64(Buffer.from([0xff, 0xfe, 0x7b])) }), code: 'invalid_event', status: 400 },
      { name: 'structured data is not JSON', body: () => msg({ data: b64('{"specversion":') }), code: 'invalid_event', status: 400 },
      { name: 'no data and no ce- attributes', body: () => msg({}), code: 'invalid_event', status: 400 },
      { name: 'structured: JSON that is not a CloudEvent', body: () => structuredPush({ hello: 'world' }), code: 'invalid_event', status: 400 },
      {
        name: 'structured: wrong specversion',
        body: () => structuredPush({ ...structuredEvent({ id: 'e', type: 'tenant.created.v1', data: okData }), specversion: '0.3' }),
        code: 'invalid_event',
        status: 400,
      },
      {
        name: 'structured: no id',
        body: () => structuredPush({ ...structuredEvent({ id: 'e', type: 'tenant.created.v1', data: okData }), id: undefined }),
        code: 'invalid_event',
        status: 400,
      },
      {
        name: 'structured: non-JSON datacontenttype',
        body: () => structuredPush({ ...structuredEvent({ id: 'e', type: 'tenant.created.v1', data: okData }), datacontenttype: 'text/plain' }),
        code: 'invalid_event',
        status: 400,
      },
      {
        name: 'structured: data and data_base64',
        body: () => structuredPush({ ...structuredEvent({ id: 'e', type: 'tenant.created.v1', data: okData }), data_base64: b64('{}') }),
        code: 'invalid_event',
        status: 400,
      },
      {
        name: 'binary: no ce-id',
        body: () => msg({ data: b64(JSON.stringify(okData)), attributes: { 'ce-specversion': '1.0', 'ce-type': 'tenant.created.v1', 'ce-source': 's' } }),
        code: 'invalid_event',
        status: 400,
      },
      {
        name: 'binary: bad ce-time',
        body: () => binaryPush({ id: 'e', type: 'tenant.created.v1', data: okData }, { 'ce-time': 'noon' }),
        code: 'invalid_event',
        status: 400,
      },
      {
        name: 'binary: data is not JSON',
        body: () => msg({ data: b64('tenant t1 in me'), attributes: { 'ce-specversion': '1.0', 'ce-id': 'e', 'ce-type': 'tenant.created.v1', 'ce-source': 's' } }),
        code: 'invalid_event',
        status: 400,
      },
      { name: 'unknown type', body: () => binaryPush({ id: 'e', type: 'tenant.deleted.v1', data: okData }), code: 'unsupported_event_type', status: 400 },
      { name: 'a type of another consumer', body: () => binaryPush({ id: 'e', type: 'gdpr.erasure.requested.v1', data: okData }), code: 'unsupported_event_type', status: 400 },
      { name: 'bad region', body: () => created('e', { tenant_id: 't1', region: 'ap' }), code: 'invalid_event', status: 400 },
      { name: 'missing region', body: () => created('e', { tenant_id: 't1' }), code: 'invalid_event', status: 400 },
      { name: 'bad tenant id', body: () => created('e', { tenant_id: 'Bad_Tenant!', region: 'me' }), code: 'invalid_event', status: 400 },
      { name: 'no data at all', body: () => created('e', null), code: 'invalid_event', status: 400 },
      { name: 'unknown data field', body: () => created('e', { ...okData, plan: 'gold' }), code: 'invalid_event', status: 400 },
      { name: 'policy is an array', body: () => created('e', { ...okData, policy: [] }), code: 'invalid_event', status: 400 },
      { name: 'policy section is an array', body: () => created('e', { ...okData, policy: { mfa: [] } }), code: 'invalid_event', status: 400 },
      { name: 'policy field of the wrong type', body: () => created('e', { ...okData, policy: { lockout: { threshold: 'five' } } }), code: 'invalid_event', status: 400 },
      { name: 'policy value out of range', body: () => created('e', { ...okData, policy: { lockout: { threshold: 0 } } }), code: 'invalid_event', status: 400 },
      { name: 'unknown policy field', body: () => created('e', { ...okData, policy: { mfa: { required: true } } }), code: 'invalid_event', status: 400 },
      { name: 'bad emergency_fallback', body: () => created('e', { ...okData, policy: { sso: { emergency_fallback: 'sms' } } }), code: 'invalid_event', status: 400 },
      {
        name: 'inconsistent policy (idle > absolute)',
        body: () => created('e', { ...okData, policy: { session: { idle_seconds: 7200, absolute_seconds: 3600 } } }),
        code: 'invalid_event',
        status: 400,
      },
      { name: 'update of an unknown tenant', body: () => binaryPush({ id: 'e', type: 'tenant.updated.v1', data: okData }), code: 'tenant_not_found', status: 404 },
    ];

    for (const c of cases) {
      it(`${c.name} -> ${c.status} ${c.code}`, async () => {
        // an existing tenant elsewhere, so "nothing written" is checked against real data
        expect((await push(created('seed', { tenant_id: 'other', region: 'eu' }))).status).toBe(204);
        const before = await snapshotDatabases(stores.databases);
        const body = c.body();
        const res = await call(
          typeof body === 'string'
            ? fakeRequest({ body, headers: { 'content-type': c.contentType ?? 'application/json' } })
            : fakeRequest({ body }),
        );
        expect(res.status).toBe(c.status);
        expect(res.body).toMatchObject({ error: c.code, request_id: 'req-test-0001' });
        expect(typeof (res.body as { error_description?: unknown }).error_description).toBe('string');
        expect(await snapshotDatabases(stores.databases)).toEqual(before);
      });
    }

    it('a created event for a tenant of another region -> 409 region_conflict, nothing written', async () => {
      expect((await push(created('ev-1', { tenant_id: 't1', region: 'eu' }))).status).toBe(204);
      const before = await snapshotDatabases(stores.databases);
      const res = await push(created('ev-2', { tenant_id: 't1', region: 'us' }));
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ error: 'region_conflict' });
      expect(await snapshotDatabases(stores.databases)).toEqual(before);
    });

    it('descriptions name the field, not the value sent', async () => {
      const res = await push(created('e', { tenant_id: 'SECRET_VALUE_X', region: 'me' }));
      expect(res.status).toBe(400);
      const description = (res.body as { error_description: string }).error_description;
      expect(description).toContain('tenant_id');
      expect(description).not.toContain('SECRET_VALUE_X');
    });

    it('GET -> 405', async () => {
      const res = await call(fakeRequest({ method: 'GET' }));
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ error: 'method_not_allowed' });
    });
  });
});
