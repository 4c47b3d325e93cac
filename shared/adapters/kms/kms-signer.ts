import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { calculateJwkThumbprint } from 'jose';
import { IamError } from '../../domain/errors.ts';
import type { PublicJwk, TokenSigner } from '../../domain/ports.ts';
import { crc32c } from './crc32c.ts';
import { derToP1363 } from './der.ts';

/** The two KMS calls the signer makes; the official client satisfies it. */
export type KmsApi = Pick<KeyManagementServiceClient, 'getPublicKey' | 'asymmetricSign'>;

/** Options for {@link createKmsSigner}. */
export interface KmsSignerOptions {
  /** Deadline of one KMS call, in milliseconds (no retries: the caller's breaker decides). */
  readonly timeoutMs?: number;
}

/** A KMS-backed signer, which also exposes its verifying key. */
export interface KmsTokenSigner extends TokenSigner {
  /** The CryptoKeyVersion resource name. */
  readonly keyVersion: string;
}

/** Per-call deadline when none is given: long enough for a cross-region call, short enough to fail over. */
export const DEFAULT_KMS_TIMEOUT_MS = 2000;

/** gRPC status codes worth a retry or a failover: the service, not the request, is at fault. */
const TRANSIENT = new Set([1, 2, 4, 8, 10, 13, 14]); // CANCELLED UNKNOWN DEADLINE_EXCEEDED RESOURCE_EXHAUSTED ABORTED INTERNAL UNAVAILABLE

/**
 * Builds a signer over one Cloud KMS `EC_SIGN_P256_SHA256` key version. It
 * fetches the public key once (its kid is the RFC 7638 thumbprint), then
 * signs with `AsymmetricSign` over the SHA-256 digest, checks the CRC32C
 * integrity fields both ways, converts KMS's DER signature to r||s, and
 * verifies it against the public key before handing it out.
 *
 * Failures are `temporarily_unavailable` (the service or the transport) or
 * `server_error` (a misconfigured key: wrong algorithm, unknown version).
 */
export async function createKmsSigner(
  kms: KmsApi,
  keyVersion: string,
  options: KmsSignerOptions = {},
): Promise<KmsTokenSigner> {
  const callOptions = { timeout: options.timeoutMs ?? DEFAULT_KMS_TIMEOUT_MS, retry: null };
  const [publicKey] = await kms.getPublicKey({ name: keyVersion }, callOptions).catch((e: unknown) => {
    throw kmsFailure(`GetPublicKey ${keyVersion}`, e);
  });
  if (publicKey.name !== undefined && publicKey.name !== null && publicKey.name !== '' && publicKey.name !== keyVersion) {
    throw new IamError('temporarily_unavailable', 'KMS answered for another key version', { retryAfter: 1 });
  }
  if (publicKey.algorithm !== 'EC_SIGN_P256_SHA256') {
    throw new IamError('server_error', `KMS key ${keyVersion} is ${String(publicKey.algorithm)}, not EC_SIGN_P256_SHA256`);
  }
  const pem = publicKey.pem ?? '';
  if (crc32c(new TextEncoder().encode(pem)) !== int64(publicKey.pemCrc32c?.value)) {
    throw new IamError('temporarily_unavailable', 'KMS public key failed its CRC32C check', { retryAfter: 1 });
  }
  const key = createPublicKey(pem);
  const jwk = await toPublicJwk(key);
  return {
    kid: jwk.kid,
    alg: 'ES256',
    keyVersion,
    publicJwk: async () => jwk,
    sign: async (signingInput) => {
      const digest = createHash('sha256').update(signingInput).digest();
      const [response] = await kms
        .asymmetricSign(
          { name: keyVersion, digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } },
          callOptions,
        )
        .catch((e: unknown) => {
          throw kmsFailure(`AsymmetricSign ${keyVersion}`, e);
        });
      const signature = toBytes(response.signature);
      // Cloud KMS data integrity guidelines: check that KMS saw our digest intact,
      // that it answered for this key version, and that the signature arrived intact.
      if (
        response.verifiedDigestCrc32c !== true ||
        response.name !== keyVersion ||
        crc32c(signature) !== int64(response.signatureCrc32c?.value)
      ) {
        throw new IamError('temporarily_unavailable', 'KMS signature failed its integrity checks', { retryAfter: 1 });
      }
      let p1363: Uint8Array;
      try {
        p1363 = derToP1363(signature);
      } catch (e) {
        throw new IamError('temporarily_unavailable', 'KMS returned a malformed signature', { cause: e, retryAfter: 1 });
      }
      if (!verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, p1363)) {
        throw new IamError('temporarily_unavailable', 'KMS signature does not verify', { retryAfter: 1 });
      }
      return p1363;
    },
  };
}

/** The JWK of a P-256 public key, with its RFC 7638 thumbprint as kid. */
export async function toPublicJwk(key: KeyObject): Promise<PublicJwk> {
  const raw = key.export({ format: 'jwk' });
  if (raw.kty !== 'EC' || raw.crv !== 'P-256' || raw.x === undefined || raw.y === undefined) {
    throw new IamError('server_error', 'signing key is not an EC P-256 key');
  }
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: raw.x, y: raw.y }, 'sha256');
  return { kty: 'EC', crv: 'P-256', x: raw.x, y: raw.y, kid, use: 'sig', alg: 'ES256' };
}

function kmsFailure(what: string, e: unknown): IamError {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number' && TRANSIENT.has(code)) {
    return new IamError('temporarily_unavailable', `KMS ${what} failed`, { cause: e, retryAfter: 5 });
  }
  return new IamError('server_error', `KMS ${what} failed`, { cause: e });
}

/** Int64Value fields arrive as number, string or Long depending on the client's settings. */
function int64(value: unknown): number {
  if (value === undefined || value === null) return Number.NaN;
  return Number(String(value));
}

function toBytes(value: Uint8Array | string | null | undefined): Uint8Array {
  if (value === null || value === undefined) return new Uint8Array(0);
  return typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : value;
}
