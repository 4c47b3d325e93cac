/**
 * The contract of the `KeyRing` and `TokenSigner` ports, run against every
 * adapter: the local ring (memory and the Firestore emulator) and the Cloud
 * KMS ring (over real gRPC to the test server). Each signature is checked by
 * two independent verifiers: `jose` and node's OpenSSL (`crypto.verify` with
 * `dsaEncoding: 'ieee-p1363'`).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type JWK,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64urlEncode } from '../domain/keys/base64url.ts';
import { buildJwks } from '../domain/keys/build-jwks.ts';
import { ACCESS_TOKEN_TYP, signJws } from '../domain/keys/sign-jws.ts';
import type { KeyRing, PublicJwk } from '../domain/ports.ts';

/** What a contract run needs: a ring with a current and a next key, and how to clean up. */
export interface KeyRingFixture {
  readonly ring: KeyRing;
  close?(): Promise<void>;
}

/** True when node's OpenSSL accepts `signature` (r||s) over `data` for `jwk`. */
export function verifyWithNodeCrypto(jwk: Pick<PublicJwk, 'x' | 'y'>, data: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  return nodeVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** True when `jose` accepts the compact JWS for `jwk` (alg pinned to ES256). */
export async function verifyWithJose(jws: string, jwk: Pick<PublicJwk, 'x' | 'y'>): Promise<boolean> {
  const key = await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'ES256');
  try {
    await compactVerify(jws, key, { algorithms: ['ES256'] });
    return true;
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed) return false;
    throw e;
  }
}

/**
 * Verifies a compact JWS both ways: jose over the whole JWS, and node over
 * its signing input and decoded signature. Both must agree.
 */
export async function verifyBothWays(jws: string, jwk: Pick<PublicJwk, 'x' | 'y'>): Promise<boolean> {
  const [header = '', payload = '', signature = ''] = jws.split('.');
  const byJose = await verifyWithJose(jws, jwk);
  const byNode = verifyWithNodeCrypto(
    jwk,
    new TextEncoder().encode(`${header}.${payload}`),
    new Uint8Array(Buffer.from(signature, 'base64url')),
  );
  expect(byNode).toBe(byJose);
  return byJose;
}

/** Flips one bit of the signature part of a compact JWS. */
export function tamperSignature(jws: string): string {
  const [header, payload, signature = ''] = jws.split('.');
  const bytes = new Uint8Array(Buffer.from(signature, 'base64url'));
  bytes[10] = (bytes[10] as number) ^ 0x01;
  return `${header}.${payload}.${base64urlEncode(bytes)}`;
}

/** Replaces the protected header of a compact JWS (the signature is kept). */
export function withHeader(jws: string, header: Record<string, unknown>): string {
  const [, payload, signature] = jws.split('.');
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
}

/** Runs the KeyRing/TokenSigner contract against one adapter. */
export function describeKeyRingContract(name: string, setup: () => Promise<KeyRingFixture>): void {
  describe(`KeyRing contract: ${name}`, () => {
    let fixture: KeyRingFixture;
    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.close?.();
    });

    it('hands out an ES256 signer whose kid is the RFC 7638 thumbprint of its public key', async () => {
      const signer = await fixture.ring.current();
      const jwk = await signer.publicJwk();
      expect(signer.alg).toBe('ES256');
      expect(jwk).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: signer.kid, use: 'sig', alg: 'ES256' });
      expect(signer.kid).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'sha256'));
      expect((await fixture.ring.current()).kid).toBe(signer.kid);
    });

    it('signs r||s (64 bytes) that node crypto verifies with ieee-p1363', async () => {
      const signer = await fixture.ring.current();
      const data = new TextEncoder().encode('header.payload');
      const signature = await signer.sign(data);
      expect(signature).toBeInstanceOf(Uint8Array);
      expect(signature.length).toBe(64);
      const jwk = await signer.publicJwk();
      expect(verifyWithNodeCrypto(jwk, data, signature)).toBe(true);
      expect(verifyWithNodeCrypto(jwk, new TextEncoder().encode('header.payloaD'), signature)).toBe(false);
    });

    it('produces a compact JWS that jose and node both verify, with header {alg, typ, kid}', async () => {
      const signer = await fixture.ring.current();
      const jws = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { sub: 'u1', ver: 1 });
      expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: signer.kid });
      expect(Object.keys(decodeProtectedHeader(jws))).toEqual(['alg', 'typ', 'kid']);
      expect(await verifyBothWays(jws, await signer.publicJwk())).toBe(true);
    });

    it('publishes current first, then next (and previous), distinct, public only, use sig and alg ES256', async () => {
      const published = await fixture.ring.published();
      expect(published[0]?.status).toBe('current');
      expect(published.map((p) => p.status)).toContain('next');
      const kids = published.map((p) => p.jwk.kid);
      expect(new Set(kids).size).toBe(kids.length);
      expect(kids[0]).toBe((await fixture.ring.current()).kid);
      for (const { jwk } of published) {
        expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
      }
    });

    it('verifies a signed access token through the JWKS it publishes (jose jwtVerify, typ at+jwt)', async () => {
      const signer = await fixture.ring.current();
      const now = Math.floor(Date.now() / 1000);
      const jwt = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { iss: 'https://iam.test', sub: 'u1', iat: now, exp: now + 900 });
      const jwks = createLocalJWKSet((await buildJwks(fixture.ring)) as unknown as { keys: JWK[] });
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: 'https://iam.test',
      });
      expect(payload.sub).toBe('u1');
      expect(protectedHeader.kid).toBe(signer.kid);
    });

    it('rejects a tampered signature, both in jose and in node', async () => {
      const signer = await fixture.ring.current();
      const jws = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { sub: 'u1' });
      expect(await verifyBothWays(tamperSignature(jws), await signer.publicJwk())).toBe(false);
    });

    it('rejects a tampered payload', async () => {
      const signer = await fixture.ring.current();
      const [header, , signature] = (await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { sub: 'u1' })).split('.');
      const forged = `${header}.${Buffer.from('{"sub":"admin"}').toString('base64url')}.${signature}`;
      expect(await verifyBothWays(forged, await signer.publicJwk())).toBe(false);
    });

    it('rejects a token whose kid names another published key, and one whose kid is unknown', async () => {
      const signer = await fixture.ring.current();
      const published = await fixture.ring.published();
      const other = published.find((p) => p.jwk.kid !== signer.kid);
      if (other === undefined) throw new Error('the ring publishes only one key');
      const jwt = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { sub: 'u1' });
      const jwks = createLocalJWKSet((await buildJwks(fixture.ring)) as unknown as { keys: JWK[] });
      // The signing input covers the header, so re-labelling the key breaks the signature.
      const relabelled = withHeader(jwt, { alg: 'ES256', typ: 'at+jwt', kid: other.jwk.kid });
      await expect(jwtVerify(relabelled, jwks, { algorithms: ['ES256'] })).rejects.toBeInstanceOf(
        errors.JWSSignatureVerificationFailed,
      );
      const unknown = withHeader(jwt, { alg: 'ES256', typ: 'at+jwt', kid: 'no-such-kid' });
      await expect(jwtVerify(unknown, jwks, { algorithms: ['ES256'] })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
      // And the next key does not verify what the current key signed.
      expect(await verifyBothWays(jwt, other.jwk)).toBe(false);
    });

    it('rejects alg none and a wrong typ at the verifier', async () => {
      const signer = await fixture.ring.current();
      const jwt = await signJws(signer, { typ: 'JWT' }, { sub: 'u1' });
      const jwks = createLocalJWKSet((await buildJwks(fixture.ring)) as unknown as { keys: JWK[] });
      await expect(jwtVerify(jwt, jwks, { algorithms: ['ES256'], typ: 'at+jwt' })).rejects.toBeInstanceOf(
        errors.JWTClaimValidationFailed,
      );
      const none = `${withHeader(jwt, { alg: 'none', typ: 'at+jwt', kid: signer.kid }).split('.').slice(0, 2).join('.')}.`;
      await expect(jwtVerify(none, jwks, { algorithms: ['ES256'] })).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
    });
  });
}
