import { createHash, verify } from 'node:crypto';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../adapters/kms/crc32c.ts';
import { createKmsClient } from '../adapters/kms/kms-client.ts';
import { startKmsTestServer, type KmsTestServer } from './kms-grpc-server.ts';

const NO_RETRY = { retry: null, timeout: 2000 };
const digestOf = (text: string): Buffer => createHash('sha256').update(text).digest();
const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

describe('the loopback KMS test server, through the official client', () => {
  let server: KmsTestServer;
  let kms: KeyManagementServiceClient;
  beforeAll(async () => {
    server = await startKmsTestServer({ keyVersions: 1 });
    kms = await createKmsClient({ endpoint: server.endpoint });
  });
  afterAll(async () => {
    await kms.close();
    await server.close();
  });
  const name = (): string => server.keyVersions[0] ?? '';

  it('answers GetPublicKey with the PEM of the key version, its CRC32C and the algorithm', async () => {
    server.setMode('ok');
    const [key] = await kms.getPublicKey({ name: name() }, NO_RETRY);
    expect(key.algorithm).toBe('EC_SIGN_P256_SHA256');
    expect(key.name).toBe(name());
    expect(key.pem).toBe(server.publicKey(name()).export({ format: 'pem', type: 'spki' }));
    expect(Number(key.pemCrc32c?.value)).toBe(crc32c(new TextEncoder().encode(key.pem ?? '')));
  });

  it('signs the digest with ECDSA P-256 in DER, as KMS does, and checks the digest CRC32C', async () => {
    server.setMode('ok');
    const digest = digestOf('the message');
    const [res] = await kms.asymmetricSign(
      { name: name(), digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } },
      NO_RETRY,
    );
    const signature = res.signature as Uint8Array;
    expect(signature[0]).toBe(0x30); // a DER SEQUENCE, not r||s
    expect(verify('sha256', Buffer.from('the message'), server.publicKey(name()), signature)).toBe(true);
    expect(res.verifiedDigestCrc32c).toBe(true);
    expect(res.name).toBe(name());
    expect(Number(res.signatureCrc32c?.value)).toBe(crc32c(signature));
  });

  it('reports verifiedDigestCrc32c false when no checksum was sent', async () => {
    server.setMode('ok');
    const [res] = await kms.asymmetricSign({ name: name(), digest: { sha256: digestOf('m') } }, NO_RETRY);
    expect(res.verifiedDigestCrc32c).toBe(false);
  });

  it.each([
    ['a digest whose CRC32C does not match', { digest: { sha256: digestOf('m') }, digestCrc32c: { value: 1 } }, 3],
    ['a digest that is not 32 bytes', { digest: { sha256: Buffer.alloc(20) } }, 3],
    ['no digest', {}, 3],
  ])('refuses %s with INVALID_ARGUMENT', async (_, request, code) => {
    server.setMode('ok');
    const error = await kms.asymmetricSign({ name: name(), ...request }, NO_RETRY).catch((e: unknown) => e);
    expect(codeOf(error)).toBe(code);
  });

  it('answers NOT_FOUND for an unknown key version and UNIMPLEMENTED for other methods', async () => {
    server.setMode('ok');
    expect(codeOf(await kms.getPublicKey({ name: `${name()}0` }, NO_RETRY).catch((e: unknown) => e))).toBe(5);
    expect(codeOf(await kms.getKeyRing({ name: 'projects/p/locations/l/keyRings/k' }, NO_RETRY).catch((e: unknown) => e))).toBe(12);
  });

  it('fails with UNAVAILABLE, hangs until the deadline, and counts every call', async () => {
    server.setMode('unavailable');
    const before = server.calls.getPublicKey;
    expect(codeOf(await kms.getPublicKey({ name: name() }, NO_RETRY).catch((e: unknown) => e))).toBe(14);
    server.setMode('hang');
    const started = performance.now();
    const error = await kms.getPublicKey({ name: name() }, { retry: null, timeout: 200 }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe(4); // DEADLINE_EXCEEDED
    expect(performance.now() - started).toBeLessThan(1500);
    expect(server.calls.getPublicKey).toBe(before + 2);
    server.setMode('ok');
  });

  it('corrupts on request: the signature changes but its checksum does not', async () => {
    server.setMode('corrupt');
    const digest = digestOf('m');
    const [res] = await kms.asymmetricSign({ name: name(), digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } }, NO_RETRY);
    expect(Number(res.signatureCrc32c?.value)).not.toBe(crc32c(res.signature as Uint8Array));
    server.setMode('ok');
  });
});
