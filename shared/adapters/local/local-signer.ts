import { createPrivateKey, generateKeyPair, sign as nodeSign } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint } from 'jose';
import type { PublicJwk, TokenSigner } from '../../domain/ports.ts';

/** A private P-256 key as a JWK (RFC 7518 §6.2.2). Dev and test only: it sits in the emulator. */
export interface PrivateJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly d: string;
}

/** One key of the local ring, as stored. */
export interface LocalKey {
  /** RFC 7638 JWK thumbprint (SHA-256) of the public key. */
  readonly kid: string;
  readonly privateJwk: PrivateJwk;
  /** Milliseconds since the epoch when the key was first published in the JWKS. */
  readonly publishedAt: number;
}

const generate = promisify(generateKeyPair);

/** Generates a fresh P-256 key, first published at `now`. */
export async function generateLocalKey(now: number): Promise<LocalKey> {
  const { privateKey } = await generate('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined || jwk.d === undefined) throw new Error('P-256 key without x, y or d');
  const privateJwk: PrivateJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d };
  return { kid: await thumbprint(privateJwk), privateJwk, publishedAt: now };
}

/** The public half of a local key, as the JWKS publishes it. */
export function localPublicJwk(key: LocalKey): PublicJwk {
  const { x, y } = key.privateJwk;
  return { kty: 'EC', crv: 'P-256', x, y, kid: key.kid, use: 'sig', alg: 'ES256' };
}

/**
 * A {@link TokenSigner} over a local key: ECDSA P-256 with SHA-256 through
 * node's OpenSSL, returning r||s (`ieee-p1363`) as JWS ES256 requires.
 */
export function createLocalSigner(key: LocalKey): TokenSigner {
  const privateKey = createPrivateKey({ key: { ...key.privateJwk }, format: 'jwk' });
  const jwk = localPublicJwk(key);
  return {
    kid: key.kid,
    alg: 'ES256',
    publicJwk: async () => jwk,
    sign: async (signingInput) =>
      new Uint8Array(nodeSign('sha256', signingInput, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

/** RFC 7638 thumbprint of the public members. */
export function thumbprint(jwk: { readonly x: string; readonly y: string }): Promise<string> {
  return calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'sha256');
}
