import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyWithNodeCrypto } from '../../testing/key-ring-contract.ts';
import { createLocalSigner, generateLocalKey, localPublicJwk } from './local-signer.ts';

describe('local signer', () => {
  it('generates a P-256 key whose kid is its RFC 7638 thumbprint', async () => {
    const key = await generateLocalKey(123);
    expect(key.publishedAt).toBe(123);
    expect(key.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key.privateJwk.x, y: key.privateJwk.y }));
    expect((await generateLocalKey(123)).kid).not.toBe(key.kid);
  });

  it('publishes only the public members', async () => {
    const jwk = localPublicJwk(await generateLocalKey(0));
    expect(jwk).not.toHaveProperty('d');
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('signs r||s that verifies for its own key and not for another', async () => {
    const key = await generateLocalKey(0);
    const other = await generateLocalKey(0);
    const data = new TextEncoder().encode('a.b');
    const signature = await createLocalSigner(key).sign(data);
    expect(signature.length).toBe(64);
    expect(verifyWithNodeCrypto(localPublicJwk(key), data, signature)).toBe(true);
    expect(verifyWithNodeCrypto(localPublicJwk(other), data, signature)).toBe(false);
  });
});
