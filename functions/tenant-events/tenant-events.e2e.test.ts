/**
 * The tenant-events handler over Firestore on the real emulator: residency
 * (a tenant lands in its region's database and nowhere else), redelivery, and
 * rejections that leave every database as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { cryptoRandom, systemClock } from '../../shared/adapters/local/clock.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import { REGIONS } from '../../shared/domain/tenants/tenant.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { fakeRequest } from '../../shared/http/fixtures/request.ts';
import type { HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { tenantEventsHandler } from './handler.ts';
import { binaryPush, structuredEvent, structuredPush } from './testing/push.ts';
import { FOUNDATION_COLLECTIONS, snapshotDatabases } from './testing/snapshot.ts';

const log = createLogger({ service: 'tenant-events-e2e', write: () => undefined });

describe('tenant-events on the Firestore emulator', () => {
  let stores: Stores;
  let push: (body: Record<string, unknown>) => Promise<HttpResponse>;

  beforeAll(() => {
    const config = loadConfig(testEnv(testProjectId('tenantev')));
    stores = createFirestoreStores(config);
    const handler = tenantEventsHandler({
      uow: stores.uow,
      directory: stores.directory,
      clock: systemClock,
      random: cryptoRandom,
      policyDefaults: { publicOrigin: config.publicOrigin },
      log,
    });
    push = async (body) => {
      const req = fakeRequest({ body });
      try {
        return await handler(req);
      } catch (e) {
        return errorResponse(e, req.requestId, log);
      }
    };
  });
  afterAll(terminateFirestoreClients);

  it('stores a created tenant in its region database only', async () => {
    const res = await push(binaryPush({ id: 'e2e-created-1', type: 'tenant.created.v1', data: { tenant_id: 't1', region: 'me', policy: { lockout: { threshold: 4 } } } }));
    expect(res.status).toBe(204);
    const me = stores.databases.regions.me;
    expect(await me.get('tenants', 't1')).toMatchObject({ tenant_id: 't1', region: 'me', version: 1, policy: { lockout: { threshold: 4, unlock_after_seconds: 900 } } });
    expect(await me.query('outbox', { where: [['tenant_id', '==', 't1']] })).toHaveLength(1);
    expect(await me.query('audit', { where: [['tenant_id', '==', 't1']] })).toHaveLength(1);
    expect(await me.query('inbox', { where: [['tenant_id', '==', 't1']] })).toHaveLength(1);
    expect(await stores.databases.platform.get('tenant_directory', 't1')).toMatchObject({ region: 'me' });
    // and nothing of it anywhere else: every collection of the other regional databases
    for (const region of REGIONS.filter((r) => r !== 'me')) {
      const db = stores.databases.regions[region];
      expect(await db.get('tenants', 't1')).toBeUndefined();
      for (const collection of FOUNDATION_COLLECTIONS) {
        expect(await db.query(collection, { where: [['tenant_id', '==', 't1']] }), `${region}/${collection}`).toEqual([]);
      }
    }
  });

  it('applies a redelivery once and an update with a version bump', async () => {
    const created = structuredPush(structuredEvent({ id: 'e2e-created-2', type: 'tenant.created.v1', data: { tenant_id: 't2', region: 'eu' } }));
    expect((await push(created)).status).toBe(204);
    const before = await snapshotDatabases(stores.databases);
    expect((await push(created)).status).toBe(204);
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
    const update = binaryPush({ id: 'e2e-updated-2', type: 'tenant.updated.v1', data: { tenant_id: 't2', region: 'eu', policy: { sso: { required: true, emergency_fallback: 'magic_link' } } } });
    expect((await push(update)).status).toBe(204);
    expect((await push(update)).status).toBe(204);
    expect(await stores.databases.regions.eu.get('tenants', 't2')).toMatchObject({ version: 2, policy: { sso: { required: true, emergency_fallback: 'magic_link' } } });
    expect(await stores.databases.regions.eu.query('outbox', { where: [['tenant_id', '==', 't2']] })).toHaveLength(2);
  });

  it.each([
    ['a malformed CloudEvent', () => structuredPush({ specversion: '1.0', id: 'x' }), 400, 'invalid_event'],
    ['an unknown type', () => binaryPush({ id: 'e2e-x1', type: 'tenant.archived.v1', data: { tenant_id: 't3', region: 'us' } }), 400, 'unsupported_event_type'],
    ['a bad region', () => binaryPush({ id: 'e2e-x2', type: 'tenant.created.v1', data: { tenant_id: 't3', region: 'ap' } }), 400, 'invalid_event'],
    ['a policy of the wrong shape', () => binaryPush({ id: 'e2e-x3', type: 'tenant.created.v1', data: { tenant_id: 't3', region: 'us', policy: { lockout: 5 } } }), 400, 'invalid_event'],
    ['an update of an unknown tenant', () => binaryPush({ id: 'e2e-x4', type: 'tenant.updated.v1', data: { tenant_id: 't3', region: 'us' } }), 404, 'tenant_not_found'],
    ['a created event naming another region', () => binaryPush({ id: 'e2e-x5', type: 'tenant.created.v1', data: { tenant_id: 't1', region: 'us' } }), 409, 'region_conflict'],
  ] as const)('refuses %s and writes nothing', async (_name, body, status, code) => {
    // t1 exists from the first test; make sure of it when this runs alone
    await push(binaryPush({ id: 'e2e-created-1', type: 'tenant.created.v1', data: { tenant_id: 't1', region: 'me', policy: { lockout: { threshold: 4 } } } }));
    const before = await snapshotDatabases(stores.databases);
    const res = await push(body());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: code });
    expect(await snapshotDatabases(stores.databases)).toEqual(before);
  });
});
