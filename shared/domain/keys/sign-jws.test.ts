import { createPrivateKey, sign } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { isIamError } from '../errors.ts';
import type { TokenSigner } from '../ports.ts';
import { tamperSignature, verifyBothWays } from '../../testing/key-ring-contract.ts';
import { base64urlEncode } from './base64url.ts';
import { ACCESS_TOKEN_TYP, signJws } from './sign-jws.ts';

// RFC 7515 Appendix A.3: "Example JWS Using ECDSA P-256 SHA-256".
const A3_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI',
} as const;
const A3_PAYLOAD = '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}';
const A3_JWS =
  'eyJhbGciOiJFUzI1NiJ9' +
  '.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ' +
  '.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q';

/** A signer over the RFC 7515 A.3 private key, signing with node's OpenSSL. */
function a3Signer(kid = 'rfc7515-a3'): TokenSigner & { inputs: Uint8Array[] } {
  const key = createPrivateKey({ key: { ...A3_JWK }, format: 'jwk' });
  const inputs: Uint8Array[] = [];
  return {
    kid,
    alg: 'ES256',
    inputs,
    publicJwk: async () => ({ kty: 'EC', crv: 'P-256', x: A3_JWK.x, y: A3_JWK.y, kid, use: 'sig', alg: 'ES256' }),
    sign: async (data) => {
      inputs.push(data);
      return new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
    },
  };
}

describe('signJws', () => {
  it('RFC 7515 A.3: the published ES256 JWS verifies through our verify path (jose and node)', async () => {
    expect(await verifyBothWays(A3_JWS, A3_JWK)).toBe(true);
    expect(await verifyBothWays(tamperSignature(A3_JWS), A3_JWK)).toBe(false);
  });

  it('RFC 7515 A.3: encodes the example payload bytes exactly as the RFC does', () => {
    expect(base64urlEncode(new TextEncoder().encode(A3_PAYLOAD))).toBe(A3_JWS.split('.')[1]);
  });

  it('builds header.payload.signature with {alg, typ, kid} and signs exactly that input', async () => {
    const signer = a3Signer('k1');
    const jws = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { sub: 'u1', roles: ['a'] });
    const [header, payload, signature] = jws.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' });
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toEqual({ sub: 'u1', roles: ['a'] });
    expect(Buffer.from(signature ?? '', 'base64url').length).toBe(64);
    expect(new TextDecoder().decode(signer.inputs[0])).toBe(`${header}.${payload}`);
    expect(await verifyBothWays(jws, A3_JWK)).toBe(true);
  });

  it('takes typ from the caller but alg and kid only from the signer', async () => {
    const jws = await signJws(a3Signer('k2'), { typ: 'JWT', alg: 'none', kid: 'evil' } as never, { sub: 'u1' });
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k2' });
  });

  it('throws when the signer returns anything but a 64-byte r||s (e.g. DER)', async () => {
    const der: TokenSigner = { ...a3Signer(), sign: async () => new Uint8Array(71).fill(0x30) };
    const error = await signJws(der, { typ: ACCESS_TOKEN_TYP }, {}).catch((e: unknown) => e);
    expect(isIamError(error, 'server_error')).toBe(true);
  });

  it('propagates a signer failure unchanged', async () => {
    const down: TokenSigner = { ...a3Signer(), sign: () => Promise.reject(new Error('kms down')) };
    await expect(signJws(down, { typ: ACCESS_TOKEN_TYP }, {})).rejects.toThrow('kms down');
  });
});
