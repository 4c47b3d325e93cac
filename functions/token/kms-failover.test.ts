/**
 * Risk R-01 at the route: `POST /v1/login` and the JWKS over the failover
 * ring (primary and replica KMS keys behind circuit breakers) talking real
 * gRPC to the loopback KMS, on the in-memory stores.
 */
import { randomUUID } from 'node:crypto';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsClient } from '../../shared/adapters/kms/kms-client.ts';
import { createKmsKeyRing } from '../../shared/adapters/kms/kms-key-ring.ts';
import { cryptoRandom, fixedClock } from '../../shared/adapters/local/clock.ts';
import { createStaticIpReputation } from '../../shared/adapters/local/static-ip-reputation.ts';
import { createMemoryStores } from '../../shared/adapters/memory/stores.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { SESSIONS } from '../../shared/adapters/store/session-repo.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { createFailoverKeyRing } from '../../shared/domain/keys/failover-key-ring.ts';
import { fillPolicyDefaults, type Tenant } from '../../shared/domain/tenants/tenant.ts';
import { parseTrustedProxies } from '../../shared/http/client-ip.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { router } from '../../shared/http/router.ts';
import type { HttpResponse } from '../../shared/http/types.ts';
import { createLogger } from '../../shared/log.ts';
import { startKmsTestServer, type KmsTestServer } from '../../shared/testing/kms-grpc-server.ts';
import { tokenRoutes } from './routes.ts';

const ISSUER = 'http://127.0.0.1:8080';
const PASSWORD = 'correct horse battery staple';
const PRIMARY = 'projects/demo-iam/locations/europe-west1/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions/1';
const REPLICA = 'projects/demo-iam/locations/europe-west4/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions/1';

let server: KmsTestServer;
let client: KeyManagementServiceClient;
beforeAll(async () => {
  server = await startKmsTestServer({ keyVersions: 0 });
  server.addKeyVersion(PRIMARY);
  server.addKeyVersion(REPLICA);
  client = await createKmsClient({ endpoint: server.endpoint });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

async function world() {
  const stores = createMemoryStores();
  const clock = fixedClock(Date.UTC(2026, 2, 1, 12));
  const keyRing = createFailoverKeyRing({
    primary: createKmsKeyRing(client, { current: PRIMARY }),
    replica: createKmsKeyRing(client, { current: REPLICA }),
    clock,
    breaker: { failureThreshold: 2, coolDownMs: 30_000 },
  });
  const hasher = createArgon2Hasher({ version: 2 });
  const log = createLogger({ service: 'token', level: 'ERROR', write: () => undefined });
  const handler = router(
    tokenRoutes({
      keyRing,
      issuer: ISSUER,
      login: {
        uow: stores.uow,
        directory: stores.directory,
        clock,
        random: cryptoRandom,
        keyRing,
        issuer: ISSUER,
        audience: 'melmastoon',
        hasher,
        ipReputation: createStaticIpReputation({ bad: [], good: [] }),
        mailer: { send: async () => undefined },
        magicLinkUrl: `${ISSUER}/magic-link`,
        magicLinkFloorMs: 0,
        loginRefusalFloorMs: 0,
        trustedProxies: parseTrustedProxies('127.0.0.1/32'),
        log,
      },
    }),
  );
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResponse & { body: Record<string, unknown> }> => {
    const raw = Buffer.from(body === undefined ? '' : JSON.stringify(body));
    const requestId = `req-${randomUUID()}`;
    const req = {
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(raw.length) },
      query: new URLSearchParams(),
      rawBody: raw,
      requestId,
      trace: undefined,
      params: {},
      remoteAddress: '198.51.100.10',
    };
    return (await handler(req).catch((e: unknown) => errorResponse(e, requestId, log))) as HttpResponse & { body: Record<string, unknown> };
  };

  const policy = fillPolicyDefaults(undefined, { publicOrigin: ISSUER });
  if (typeof policy === 'string') throw new Error(policy);
  await stores.directory.claim('acme', 'eu', '2026-01-01T00:00:00.000Z');
  const tenant: Tenant = { tenant_id: 'acme', region: 'eu', policy, version: 1, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };
  const now = new Date(clock.now()).toISOString();
  const user: User = {
    user_id: randomUUID(),
    tenant_id: 'acme',
    email: 'alice@example.com',
    roles: ['member'],
    status: 'active',
    password: { phc: await hasher.hash(PASSWORD), hash_version: hasher.version, changed_at: now },
    mfa_methods: [],
    created_at: now,
    updated_at: now,
    created_by: { type: 'admin', id: 'test' },
    last_login_at: null,
  };
  await stores.uow.run('eu', async (tx) => {
    tx.tenants.put(tenant);
    tx.users.create(user);
  });
  const login = () => call('POST', '/v1/login', { tenant_id: 'acme', email: 'alice@example.com', password: PASSWORD, client_id: 'web-app' });
  const verify = async (token: string) => {
    const jwks = await call('GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    return jwtVerify(token, createLocalJWKSet(jwks.body as unknown as { keys: JWK[] }), {
      issuer: ISSUER,
      audience: 'melmastoon',
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(clock.now()),
    });
  };
  const sessions = async () => (await stores.databases.regions.eu.query(SESSIONS, {})).length;
  return { keyRing, clock, login, verify, sessions, call };
}

describe('POST /v1/login while KMS fails', () => {
  it('signs with the replica kid when the primary is down, answers 503 + Retry-After fast when both are, and recovers', async () => {
    server.setMode('ok', PRIMARY);
    server.setMode('ok', REPLICA);
    const w = await world();
    const [primaryKid, replicaKid] = (await w.keyRing.published()).map((p) => p.jwk.kid);

    const normal = await w.login();
    expect(normal.status, JSON.stringify(normal.body)).toBe(200);
    const issued = normal.body['access_token'] as string;
    expect(decodeProtectedHeader(issued).kid).toBe(primaryKid);

    server.setMode('unavailable', PRIMARY);
    const failover = await w.login();
    expect(failover.status).toBe(200);
    expect(decodeProtectedHeader(failover.body['access_token'] as string).kid).toBe(replicaKid);
    expect((await w.verify(failover.body['access_token'] as string)).payload.tid).toBe('acme');

    server.setMode('unavailable', REPLICA);
    for (let i = 0; i < 2; i++) expect((await w.login()).status).toBe(503); // the replica's breaker counts its failures too...
    const sessionsBefore = await w.sessions();
    expect(w.keyRing.breakers()).toMatchObject({ primary: { state: 'open' }, replica: { state: 'open' } });
    const kmsCalls = server.calls.asymmetricSign;
    const started = performance.now();
    const refused = await w.login(); // ...and now both are open
    const elapsed = performance.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.body['error']).toBe('temporarily_unavailable');
    expect(refused.headers?.['retry-after']).toBe('30');
    expect(elapsed).toBeLessThan(1000); // Argon2id included; no KMS deadline waited for
    expect(server.calls.asymmetricSign).toBe(kmsCalls);
    expect(await w.sessions()).toBe(sessionsBefore); // nothing written for a login that got no token
    // The JWKS is served from cached public keys: both earlier tokens still verify.
    expect((await w.verify(issued)).payload.sub).toBeDefined();
    expect((await w.verify(failover.body['access_token'] as string)).payload.sub).toBeDefined();

    server.setMode('ok', PRIMARY);
    server.setMode('ok', REPLICA);
    w.clock.advance(30_000);
    const back = await w.login();
    expect(back.status).toBe(200);
    expect(decodeProtectedHeader(back.body['access_token'] as string).kid).toBe(primaryKid);
    expect(w.keyRing.breakers().primary.state).toBe('closed');
  });
});
