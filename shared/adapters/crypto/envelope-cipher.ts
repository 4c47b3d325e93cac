/**
 * The {@link SecretCipher} port: envelope encryption with AES-256-GCM
 * (NIST SP 800-38D) and a key-encryption key (KEK) from a {@link SecretKeyRing}.
 *
 * seal(plaintext, aad):
 * 1. a fresh 256-bit data key (DEK) per record, and a random 96-bit IV;
 * 2. ciphertext = AES-256-GCM(DEK, iv, plaintext, AAD = context("data"));
 * 3. wrapped_key = iv' || AES-256-GCM(KEK, iv', DEK, AAD = context("dek"));
 * where context(purpose) = "iam.envelope.v1" 0 purpose 0 kid 0 || aad. So the
 * ciphertext and the wrapped key are bound to the caller's record (`aad`:
 * tenant, user, factor) and to the KEK id: moving either to another record,
 * or relabelling the key id, fails authentication.
 *
 * IVs: the data IV is used once per DEK, so it can never repeat under a key.
 * Wrapping IVs are random under one KEK: SP 800-38D §8.3 allows 2^32 random
 * IVs per key, far beyond the number of factors between KEK rotations.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedSecret } from '../../domain/mfa/factor.ts';
import type { SecretCipher, SecretKeyRing } from '../../domain/ports.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** A sealed secret that cannot be opened: tampered, moved, or under an unknown or wrong KEK. */
export class SecretDecryptError extends Error {
  override readonly name = 'SecretDecryptError';
}

function context(purpose: 'data' | 'dek', kid: string, aad: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`iam.envelope.v1\u0000${purpose}\u0000${kid}\u0000`, 'utf8'), aad]);
}

function gcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function gcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (sealed.length < TAG_BYTES) throw new SecretDecryptError('ciphertext too short');
  const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
  } catch (e) {
    throw new SecretDecryptError('the sealed secret does not authenticate', { cause: e });
  }
}

function bytesOf(field: string, value: unknown): Buffer {
  if (typeof value !== 'string' || !B64URL.test(value)) throw new SecretDecryptError(`malformed sealed secret: ${field}`);
  return Buffer.from(value, 'base64url');
}

function kekOf(id: string, key: Uint8Array | undefined): Uint8Array {
  if (key === undefined) throw new SecretDecryptError(`unknown key-encryption key '${id}'`);
  if (key.length !== KEY_BYTES) throw new Error(`key-encryption key '${id}' is not ${KEY_BYTES} bytes`);
  return key;
}

/** An envelope {@link SecretCipher} whose KEKs come from `keks`. */
export function createEnvelopeCipher(keks: SecretKeyRing): SecretCipher {
  return {
    async seal(plaintext, aad) {
      const current = await keks.current();
      const kek = kekOf(current.id, current.key);
      const dek = randomBytes(KEY_BYTES);
      try {
        const iv = randomBytes(IV_BYTES);
        const wrapIv = randomBytes(IV_BYTES);
        const ciphertext = gcmSeal(dek, iv, plaintext, context('data', current.id, aad));
        const wrapped = Buffer.concat([wrapIv, gcmSeal(kek, wrapIv, dek, context('dek', current.id, aad))]);
        return {
          v: 1,
          alg: 'A256GCM',
          kid: current.id,
          wrapped_key: wrapped.toString('base64url'),
          iv: iv.toString('base64url'),
          ciphertext: ciphertext.toString('base64url'),
        } satisfies SealedSecret;
      } finally {
        dek.fill(0);
      }
    },
    async open(sealed, aad) {
      if (sealed.v !== 1 || sealed.alg !== 'A256GCM' || typeof sealed.kid !== 'string') throw new SecretDecryptError('unsupported sealed secret');
      const wrapped = bytesOf('wrapped_key', sealed.wrapped_key);
      const iv = bytesOf('iv', sealed.iv);
      const ciphertext = bytesOf('ciphertext', sealed.ciphertext);
      if (wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES || iv.length !== IV_BYTES) throw new SecretDecryptError('malformed sealed secret: lengths');
      const kek = kekOf(sealed.kid, await keks.get(sealed.kid));
      const dek = gcmOpen(kek, wrapped.subarray(0, IV_BYTES), wrapped.subarray(IV_BYTES), context('dek', sealed.kid, aad));
      try {
        return new Uint8Array(gcmOpen(dek, iv, ciphertext, context('data', sealed.kid, aad)));
      } finally {
        dek.fill(0);
      }
    },
  };
}
