/**
 * From configuration to the failover ring: `IAM_KMS_REPLICA_KEY_*` parsing,
 * and `openKeyRing` wiring the primary and replica KMS keys behind breakers
 * (over real gRPC to the loopback KMS), logging breaker changes.
 */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import type { FailoverKeyRing } from '../domain/keys/failover-key-ring.ts';
import { signJws } from '../domain/keys/sign-jws.ts';
import { createLogger } from '../log.ts';
import { startKmsTestServer, type KmsTestServer } from '../testing/kms-grpc-server.ts';
import { openKeyRing } from './key-ring.ts';
import { fixedClock } from './local/clock.ts';

const PRIMARY = 'projects/p1/locations/europe-west1/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions';
const REPLICA = 'projects/p1/locations/europe-west4/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions';
const base = { GOOGLE_CLOUD_PROJECT: 'p1', IAM_ISSUER: 'https://id.example.com', IAM_SIGNER: 'kms', IAM_KMS_KEY_CURRENT: `${PRIMARY}/3` };

describe('config: replica KMS key versions', () => {
  it('parses the replica versions into signer.replica', () => {
    const config = loadConfig({ ...base, IAM_KMS_REPLICA_KEY_CURRENT: `${REPLICA}/1`, IAM_KMS_REPLICA_KEY_NEXT: `${REPLICA}/2` });
    expect(config.signer).toMatchObject({ kind: 'kms', replica: { current: `${REPLICA}/1`, next: `${REPLICA}/2`, previous: undefined } });
  });

  it('has no replica when none is configured', () => {
    expect(loadConfig(base).signer).toMatchObject({ kind: 'kms', replica: undefined });
  });

  it.each([
    ['a replica in the primary location', { IAM_KMS_REPLICA_KEY_CURRENT: `${PRIMARY}/9` }, /another KMS location/],
    ['a replica next in the primary location', { IAM_KMS_REPLICA_KEY_CURRENT: `${REPLICA}/1`, IAM_KMS_REPLICA_KEY_NEXT: `${PRIMARY}/9` }, /another KMS location/],
    ['a replica next without a replica current', { IAM_KMS_REPLICA_KEY_NEXT: `${REPLICA}/2` }, /need IAM_KMS_REPLICA_KEY_CURRENT/],
    ['a malformed replica version', { IAM_KMS_REPLICA_KEY_CURRENT: 'jwt-signing/1' }, /IAM_KMS_REPLICA_KEY_CURRENT/],
  ])('refuses %s', (_name, extra, message) => {
    expect(() => loadConfig({ ...base, ...extra })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...extra })).toThrow(message);
  });
});

describe('openKeyRing with IAM_SIGNER=kms', () => {
  let server: KmsTestServer;
  beforeAll(async () => {
    server = await startKmsTestServer({ keyVersions: 0 });
    server.addKeyVersion(`${PRIMARY}/3`);
    server.addKeyVersion(`${REPLICA}/1`);
  });
  afterAll(() => server.close());

  it('opens the failover ring: primary and replica published, failover to the replica logged', async () => {
    const config = loadConfig({ ...base, IAM_KMS_REPLICA_KEY_CURRENT: `${REPLICA}/1`, IAM_KMS_ENDPOINT: server.endpoint });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ service: 'token', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const ring = (await openKeyRing(config, fixedClock(0), { log, breaker: { failureThreshold: 1 } })) as FailoverKeyRing;
    const published = await ring.published();
    expect(published.map((p) => p.status)).toEqual(['current', 'replica']);
    server.setMode('unavailable', `${PRIMARY}/3`);
    const jwt = await signJws(await ring.current(), { typ: 'at+jwt' }, { sub: 'u1' });
    expect(decodeProtectedHeader(jwt).kid).toBe(published[1]?.jwk.kid);
    expect(ring.breakers().primary.state).toBe('open');
    expect(lines).toContainEqual(expect.objectContaining({ severity: 'WARNING', message: 'KMS signing key failed', leg: 'primary' }));
    expect(lines).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'KMS circuit breaker of the primary key opened', from: 'closed', to: 'open' }));
    server.setMode('ok', `${PRIMARY}/3`);
  });
});
