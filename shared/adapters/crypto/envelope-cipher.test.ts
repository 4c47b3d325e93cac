import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { factorSecretAad, type SealedSecret } from '../../domain/mfa/factor.ts';
import { memorySecretSource } from '../../testing/mfa-world.ts';
import { createEnvelopeCipher, SecretDecryptError } from './envelope-cipher.ts';
import { createSecretKeyRing } from './secret-key-ring.ts';

const kekA = new Uint8Array(randomBytes(32));
const kekB = new Uint8Array(randomBytes(32));
const secrets = { 'kek-a': kekA, 'kek-b': kekB };
const cipherWith = (current: string, previous: string[] = []) => createEnvelopeCipher(createSecretKeyRing(memorySecretSource(secrets), { current, previous }));
const alice = factorSecretAad({ tenant_id: 'acme', user_id: 'alice', factor_id: 'f1' });
const plaintext = new TextEncoder().encode('12345678901234567890');

/** Flips one bit of a base64url field. */
function flip(field: string, byte = 0): string {
  const b = Buffer.from(field, 'base64url');
  b[byte] = (b[byte] as number) ^ 1;
  return b.toString('base64url');
}

describe('envelope cipher (AES-256-GCM, per-record data key, KEK from the secret source)', () => {
  it('round-trips, records the KEK id, and never stores the plaintext or the data key in clear', async () => {
    const cipher = cipherWith('kek-a');
    const sealed = await cipher.seal(plaintext, alice);
    expect(sealed).toMatchObject({ v: 1, alg: 'A256GCM', kid: 'kek-a' });
    expect(Buffer.from(sealed.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(sealed.wrapped_key, 'base64url')).toHaveLength(12 + 32 + 16);
    expect(Buffer.from(sealed.ciphertext, 'base64url')).toHaveLength(plaintext.length + 16);
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from(plaintext).toString('base64url'));
    expect(await cipher.open(sealed, alice)).toEqual(plaintext);
  });

  it('uses a fresh data key and IV per record: sealing twice gives unrelated ciphertexts', async () => {
    const cipher = cipherWith('kek-a');
    const [a, b] = [await cipher.seal(plaintext, alice), await cipher.seal(plaintext, alice)];
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.wrapped_key).not.toBe(b.wrapped_key);
    expect(a.iv).not.toBe(b.iv);
  });

  it('refuses a tampered ciphertext, tag, IV or wrapped key', async () => {
    const cipher = cipherWith('kek-a');
    const sealed = await cipher.seal(plaintext, alice);
    const tagStart = Buffer.from(sealed.ciphertext, 'base64url').length - 16;
    const tampered: SealedSecret[] = [
      { ...sealed, ciphertext: flip(sealed.ciphertext, 0) },
      { ...sealed, ciphertext: flip(sealed.ciphertext, tagStart) },
      { ...sealed, ciphertext: Buffer.from(sealed.ciphertext, 'base64url').subarray(0, tagStart).toString('base64url') },
      { ...sealed, iv: flip(sealed.iv) },
      { ...sealed, wrapped_key: flip(sealed.wrapped_key, 0) },
      { ...sealed, wrapped_key: flip(sealed.wrapped_key, 20) },
      { ...sealed, wrapped_key: flip(sealed.wrapped_key, 50) },
    ];
    for (const t of tampered) await expect(cipher.open(t, alice)).rejects.toThrow(SecretDecryptError);
  });

  it('refuses the ciphertext under another AAD: moved to another user, factor or tenant', async () => {
    const cipher = cipherWith('kek-a');
    const sealed = await cipher.seal(plaintext, alice);
    for (const aad of [
      factorSecretAad({ tenant_id: 'acme', user_id: 'bob', factor_id: 'f1' }),
      factorSecretAad({ tenant_id: 'acme', user_id: 'alice', factor_id: 'f2' }),
      factorSecretAad({ tenant_id: 'globex', user_id: 'alice', factor_id: 'f1' }),
      new Uint8Array(0),
    ]) {
      await expect(cipher.open(sealed, aad)).rejects.toThrow(SecretDecryptError);
    }
  });

  it('refuses a wrapped key spliced from another record of the same KEK', async () => {
    const cipher = cipherWith('kek-a');
    const a = await cipher.seal(plaintext, alice);
    const bobAad = factorSecretAad({ tenant_id: 'acme', user_id: 'bob', factor_id: 'f9' });
    const b = await cipher.seal(plaintext, bobAad);
    await expect(cipher.open({ ...a, wrapped_key: b.wrapped_key }, alice)).rejects.toThrow(SecretDecryptError);
  });

  it('refuses a wrong KEK: the id relabelled, or the id bound to other bytes', async () => {
    const sealed = await cipherWith('kek-a').seal(plaintext, alice);
    // Relabelled to a key the ring knows: the id is authenticated too.
    await expect(cipherWith('kek-b', ['kek-a']).open({ ...sealed, kid: 'kek-b' }, alice)).rejects.toThrow(SecretDecryptError);
    // Same id, other bytes (a moved `latest`): refused.
    const swapped = createEnvelopeCipher(createSecretKeyRing(memorySecretSource({ 'kek-a': kekB }), { current: 'kek-a' }));
    await expect(swapped.open(sealed, alice)).rejects.toThrow(SecretDecryptError);
  });

  it('refuses an unknown or retired key id, and rotation keeps old records readable while listed', async () => {
    const old = await cipherWith('kek-a').seal(plaintext, alice);
    const rotated = cipherWith('kek-b', ['kek-a']);
    expect(await rotated.open(old, alice)).toEqual(plaintext);
    const fresh = await rotated.seal(plaintext, alice);
    expect(fresh.kid).toBe('kek-b');
    await expect(cipherWith('kek-b').open(old, alice)).rejects.toThrow(/unknown key-encryption key 'kek-a'/);
  });

  it('refuses malformed records', async () => {
    const cipher = cipherWith('kek-a');
    const sealed = await cipher.seal(plaintext, alice);
    for (const bad of [
      { ...sealed, v: 2 },
      { ...sealed, alg: 'A128GCM' },
      { ...sealed, iv: 'not base64url!' },
      { ...sealed, iv: Buffer.alloc(16).toString('base64url') },
      { ...sealed, wrapped_key: Buffer.alloc(10).toString('base64url') },
      { ...sealed, ciphertext: '' },
    ]) {
      await expect(cipher.open(bad as SealedSecret, alice)).rejects.toThrow(SecretDecryptError);
    }
  });

  it('throws, naming the secret, when the KEK is not a 32-byte key', async () => {
    const cipher = createEnvelopeCipher(createSecretKeyRing(memorySecretSource({ short: new Uint8Array(16) }), { current: 'short' }));
    await expect(cipher.seal(plaintext, alice)).rejects.toThrow(/secret 'short' is not a 32-byte key/);
  });
});
