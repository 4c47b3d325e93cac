/**
 * Risk R-01 over real gRPC: the failover ring (circuit breakers around the
 * primary and the replica-region KMS keys) against the loopback KMS made to
 * fail (`UNAVAILABLE`) or hang (no answer until the 2 s deadline).
 */
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jwksHandler } from '../../../functions/token/routes.ts';
import { isIamError } from '../../domain/errors.ts';
import { buildJwks } from '../../domain/keys/build-jwks.ts';
import { createFailoverKeyRing, type FailoverKeyRing } from '../../domain/keys/failover-key-ring.ts';
import { ACCESS_TOKEN_TYP, signJws } from '../../domain/keys/sign-jws.ts';
import { startKmsTestServer, type KmsTestServer } from '../../testing/kms-grpc-server.ts';
import { fixedClock } from '../local/clock.ts';
import { createKmsClient } from './kms-client.ts';
import { createKmsKeyRing } from './kms-key-ring.ts';
import { DEFAULT_KMS_TIMEOUT_MS } from './kms-signer.ts';

const PRIMARY = 'projects/demo-iam/locations/europe-west1/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions';
const REPLICA = 'projects/demo-iam/locations/europe-west4/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions';
const T0 = Date.UTC(2026, 0, 1);
const COOL_DOWN_MS = 30_000;

let server: KmsTestServer;
let client: KeyManagementServiceClient;
const v = { primary: `${PRIMARY}/1`, primaryNext: `${PRIMARY}/2`, replica: `${REPLICA}/1`, replicaNext: `${REPLICA}/2` };

beforeAll(async () => {
  server = await startKmsTestServer({ keyVersions: 0 });
  for (const name of Object.values(v)) server.addKeyVersion(name);
  client = await createKmsClient({ endpoint: server.endpoint });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
/** Sets the mode of every key version (a per-version mode wins over the server's). */
const everyKey = (mode: 'ok' | 'unavailable' | 'hang') => {
  for (const name of Object.values(v)) server.setMode(mode, name);
};
beforeEach(() => everyKey('ok'));

/** A fresh instance: its own rings, breakers and public-key caches, warmed as the token function does at cold start. */
async function instance(timeoutMs = DEFAULT_KMS_TIMEOUT_MS) {
  const clock = fixedClock(T0);
  const ring: FailoverKeyRing = createFailoverKeyRing({
    primary: createKmsKeyRing(client, { current: v.primary, next: v.primaryNext }, { timeoutMs }),
    replica: createKmsKeyRing(client, { current: v.replica, next: v.replicaNext }, { timeoutMs }),
    clock,
    breaker: { failureThreshold: 2, coolDownMs: COOL_DOWN_MS },
  });
  // Warm, as the token function does at cold start: [primary current, primary next, replica current, replica next].
  const published = await ring.published();
  const kids = { primary: published[0]?.jwk.kid, replica: published[2]?.jwk.kid };
  const issue = async () => {
    const now = Math.floor(clock.now() / 1000);
    return signJws(await ring.current(), { typ: ACCESS_TOKEN_TYP }, { iss: 'https://iam.test', sub: 'u1', iat: now, exp: now + 900 });
  };
  /** Times one issue; resolves to the token or the error. */
  const timed = async () => {
    const started = performance.now();
    const outcome = await issue().catch((e: unknown) => e);
    return { outcome, ms: performance.now() - started };
  };
  /** Verifies with jose against the JWKS the token function would serve now. */
  const verify = async (jwt: string) => {
    const res = await jwksHandler({ keyRing: ring })({} as never);
    expect(res.status).toBe(200);
    return jwtVerify(jwt, createLocalJWKSet(res.body as { keys: JWK[] }), { algorithms: ['ES256'], typ: 'at+jwt', currentDate: new Date(clock.now()) });
  };
  return { clock, ring, kids, issue, timed, verify };
}

describe('KMS failover over gRPC', () => {
  it('publishes the primary and the replica keys, each under its own kid', async () => {
    const i = await instance();
    const jwks = await buildJwks(i.ring);
    expect(jwks.keys).toHaveLength(4);
    expect(new Set(jwks.keys.map((k) => k.kid)).size).toBe(4);
    expect(decodeProtectedHeader(await i.issue()).kid).toBe(i.kids.primary);
  });

  it('primary UNAVAILABLE: tokens are signed by the replica kid and verify with jose; the breaker opens and stops calling the primary', async () => {
    const i = await instance();
    server.setMode('unavailable', v.primary);
    const before = server.calls.asymmetricSign;
    const first = await i.issue();
    expect(decodeProtectedHeader(first).kid).toBe(i.kids.replica);
    expect((await i.verify(first)).payload.sub).toBe('u1');
    await i.issue();
    expect(i.ring.breakers().primary.state).toBe('open');
    expect(server.calls.asymmetricSign - before).toBe(4); // 2 × (primary fails, replica signs)
    const afterOpen = server.calls.asymmetricSign;
    for (let n = 0; n < 3; n++) expect(decodeProtectedHeader(await i.issue()).kid).toBe(i.kids.replica);
    expect(server.calls.asymmetricSign - afterOpen).toBe(3); // the replica only
  });

  it('primary HANGS: the first calls wait out the deadline and still get a replica token; once open, no waiting at all', async () => {
    const i = await instance();
    server.setMode('hang', v.primary);
    const slow = await i.timed();
    expect(decodeProtectedHeader(slow.outcome as string).kid).toBe(i.kids.replica);
    expect(slow.ms).toBeGreaterThanOrEqual(DEFAULT_KMS_TIMEOUT_MS - 100); // waited for the primary's deadline
    await i.issue();
    expect(i.ring.breakers().primary.state).toBe('open');
    const fast = await i.timed();
    expect(decodeProtectedHeader(fast.outcome as string).kid).toBe(i.kids.replica);
    expect(fast.ms).toBeLessThan(1000);
    await i.verify(fast.outcome as string);
  });

  it('both down (UNAVAILABLE): temporarily_unavailable with Retry-After, at once once both breakers are open; issued tokens still verify', async () => {
    const i = await instance();
    const issued = await i.issue();
    everyKey('unavailable');
    for (let n = 0; n < 2; n++) expect(isIamError((await i.timed()).outcome, 'temporarily_unavailable')).toBe(true);
    expect(i.ring.breakers()).toMatchObject({ primary: { state: 'open' }, replica: { state: 'open' } });
    const calls = server.calls.asymmetricSign + server.calls.getPublicKey;
    const refused = await i.timed();
    expect(isIamError(refused.outcome, 'temporarily_unavailable')).toBe(true);
    expect((refused.outcome as { retryAfter?: number }).retryAfter).toBe(COOL_DOWN_MS / 1000);
    expect(refused.ms).toBeLessThan(1000);
    expect(server.calls.asymmetricSign + server.calls.getPublicKey).toBe(calls); // KMS not even asked
    // The JWKS is served from the cached public keys: tokens already issued verify.
    expect((await i.verify(issued)).payload.sub).toBe('u1');
  });

  it('both HANG: the call after both breakers opened answers well before the 2 s deadline, without touching KMS', async () => {
    const i = await instance();
    const issued = await i.issue();
    everyKey('hang');
    for (let n = 0; n < 2; n++) {
      const { outcome, ms } = await i.timed();
      expect(isIamError(outcome, 'temporarily_unavailable')).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(2 * DEFAULT_KMS_TIMEOUT_MS - 200); // primary's deadline, then the replica's
    }
    expect(i.ring.breakers()).toMatchObject({ primary: { state: 'open' }, replica: { state: 'open' } });
    const calls = server.calls.asymmetricSign;
    const { outcome, ms } = await i.timed();
    expect(isIamError(outcome, 'temporarily_unavailable')).toBe(true);
    expect(ms).toBeLessThan(1000);
    expect(server.calls.asymmetricSign).toBe(calls);
    expect((await i.verify(issued)).payload.sub).toBe('u1');
  }, 20_000);

  it('recovers: after the cool-down a half-open probe goes to the primary, and success brings signing back to the primary kid', async () => {
    const i = await instance();
    server.setMode('unavailable', v.primary);
    await i.issue();
    await i.issue();
    expect(i.ring.breakers().primary.state).toBe('open');
    i.clock.advance(COOL_DOWN_MS);
    expect(i.ring.breakers().primary.state).toBe('half_open');
    // Still down: the probe fails (the request is served by the replica) and the breaker opens again.
    const primaryCalls = server.calls.asymmetricSign;
    expect(decodeProtectedHeader(await i.issue()).kid).toBe(i.kids.replica);
    expect(server.calls.asymmetricSign - primaryCalls).toBe(2); // the probe, then the replica
    expect(i.ring.breakers().primary.state).toBe('open');
    server.setMode('ok', v.primary);
    i.clock.advance(COOL_DOWN_MS);
    const back = await i.issue();
    expect(decodeProtectedHeader(back).kid).toBe(i.kids.primary);
    expect(i.ring.breakers().primary.state).toBe('closed');
    await i.verify(back);
  });

  it('a corrupted answer (CRC32C mismatch) counts as a failure and fails over', async () => {
    const i = await instance();
    server.setMode('corrupt', v.primary);
    expect(decodeProtectedHeader(await i.issue()).kid).toBe(i.kids.replica);
    expect(i.ring.breakers().primary.consecutiveFailures).toBe(1);
  });

  it('a cold instance while the primary region is down still signs with the replica (its public key fetch fails fast over)', async () => {
    server.setMode('unavailable', v.primary);
    const clock = fixedClock(T0);
    const ring = createFailoverKeyRing({
      primary: createKmsKeyRing(client, { current: v.primary }),
      replica: createKmsKeyRing(client, { current: v.replica }),
      clock,
    });
    const jwt = await signJws(await ring.current(), { typ: ACCESS_TOKEN_TYP }, { sub: 'u1' });
    expect(decodeProtectedHeader(jwt).kid).toBe((await createKmsKeyRing(client, { current: v.replica }).current()).kid);
    // Its JWKS cannot be complete without the primary's public key: all or nothing (503, never a partial set).
    await expect(ring.published()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
  });
});
