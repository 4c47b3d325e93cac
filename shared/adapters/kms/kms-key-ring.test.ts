import { verify } from 'node:crypto';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIamError } from '../../domain/errors.ts';
import { signJws } from '../../domain/keys/sign-jws.ts';
import { describeKeyRingContract, verifyBothWays } from '../../testing/key-ring-contract.ts';
import { startKmsTestServer, type KmsTestServer } from '../../testing/kms-grpc-server.ts';
import { createKmsClient } from './kms-client.ts';
import { createKmsKeyRing } from './kms-key-ring.ts';
import { toPublicJwk } from './kms-signer.ts';

describeKeyRingContract('Cloud KMS ring over gRPC to the test server', async () => {
  const server = await startKmsTestServer();
  const client = await createKmsClient({ endpoint: server.endpoint });
  const [current = '', next, previous] = server.keyVersions;
  return {
    ring: createKmsKeyRing(client, { current, next, previous }),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
});

describe('Cloud KMS signer over gRPC', () => {
  let server: KmsTestServer;
  let client: KeyManagementServiceClient;
  beforeAll(async () => {
    server = await startKmsTestServer({ keyVersions: 2 });
    client = await createKmsClient({ endpoint: server.endpoint });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  const ringOf = (timeoutMs?: number) =>
    createKmsKeyRing(client, { current: server.keyVersions[0] ?? '', next: server.keyVersions[1] }, { timeoutMs });

  it('ACCEPTANCE: a KMS signature verifies with jose and with node crypto (ieee-p1363), under the KMS key itself', async () => {
    server.setMode('ok');
    const signer = await ringOf().current();
    // The published key is the KMS key version's own key, not something derived elsewhere.
    const kmsKey = server.publicKey(server.keyVersions[0] ?? '');
    expect(await signer.publicJwk()).toEqual(await toPublicJwk(kmsKey));
    const jws = await signJws(signer, { typ: 'at+jwt' }, { sub: 'u1', ver: 1 });
    expect(await verifyBothWays(jws, await signer.publicJwk())).toBe(true);
    const [h, p, s = ''] = jws.split('.');
    const signature = Buffer.from(s, 'base64url');
    expect(verify('sha256', Buffer.from(`${h}.${p}`), { key: kmsKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('sends the digest with its CRC32C, and KMS confirms it (verifiedDigestCrc32c)', async () => {
    server.setMode('ok');
    const before = server.calls.asymmetricSign;
    await (await ringOf().current()).sign(new TextEncoder().encode('x'));
    expect(server.calls.asymmetricSign).toBe(before + 1); // one call, no retries
  });

  it('fetches each public key once per ring, and serves the JWKS from memory while KMS is down', async () => {
    server.setMode('ok');
    const ring = ringOf();
    await ring.published();
    const fetched = server.calls.getPublicKey;
    await ring.published();
    await ring.current();
    expect(server.calls.getPublicKey).toBe(fetched);
    server.setMode('unavailable');
    expect((await ring.published()).map((p) => p.status)).toEqual(['current', 'next']);
    server.setMode('ok');
  });

  it('fails fast with temporarily_unavailable when KMS is UNAVAILABLE (no retry storm)', async () => {
    server.setMode('ok');
    const signer = await ringOf().current();
    server.setMode('unavailable');
    const before = server.calls.asymmetricSign;
    const started = performance.now();
    const error = await signer.sign(new Uint8Array([1])).catch((e: unknown) => e);
    expect(isIamError(error, 'temporarily_unavailable')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(server.calls.asymmetricSign).toBe(before + 1);
    server.setMode('ok');
  });

  it('gives up on a hanging KMS at its deadline', async () => {
    server.setMode('ok');
    const signer = await ringOf(300).current();
    server.setMode('hang');
    const started = performance.now();
    const error = await signer.sign(new Uint8Array([1])).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(isIamError(error, 'temporarily_unavailable')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    server.setMode('ok');
  });

  it('refuses a signature whose CRC32C does not match, and a public key whose CRC32C does not match', async () => {
    server.setMode('ok');
    const signer = await ringOf().current();
    server.setMode('corrupt');
    await expect(signer.sign(new Uint8Array([1]))).rejects.toThrow(/integrity/);
    const error = await ringOf().current().catch((e: unknown) => e); // a fresh ring must fetch the key
    expect(isIamError(error, 'temporarily_unavailable')).toBe(true);
    expect((error as Error).message).toMatch(/CRC32C/);
    server.setMode('ok');
  });

  it('fails one key version while the other keeps signing (per-version mode)', async () => {
    server.setMode('ok');
    const [first = '', second = ''] = server.keyVersions;
    const a = createKmsKeyRing(client, { current: first });
    const b = createKmsKeyRing(client, { current: second });
    const signerA = await a.current();
    const signerB = await b.current();
    server.setMode('unavailable', first);
    await expect(signerA.sign(new Uint8Array([1]))).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    expect((await signerB.sign(new Uint8Array([1]))).length).toBe(64);
    server.setMode('ok', first);
  });

  it('treats an unknown key version as a configuration error (server_error), and retries it later', async () => {
    server.setMode('ok');
    const missing = `${server.keyVersions[0]?.replace(/\d+$/, '')}99`;
    const ring = createKmsKeyRing(client, { current: missing });
    const error = await ring.current().catch((e: unknown) => e);
    expect(isIamError(error, 'server_error')).toBe(true);
    const before = server.calls.getPublicKey;
    await ring.current().catch(() => undefined);
    expect(server.calls.getPublicKey).toBe(before + 1); // the failure was not cached
  });

  it('publishes nothing rather than a partial set when one key cannot be fetched', async () => {
    server.setMode('ok');
    const ring = ringOf();
    server.setMode('unavailable', server.keyVersions[1]);
    await expect(ring.published()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    server.setMode('ok', server.keyVersions[1]);
    expect((await ring.published()).length).toBe(2);
  });
});
