import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { cryptoRandom, fixedClock } from '../../adapters/local/clock.ts';
import { createLocalKeyRing } from '../../adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../adapters/local/local-key-ring-memory.ts';
import { buildJwks } from '../keys/build-jwks.ts';
import { ACCESS_TOKEN_TTL_SECONDS, acrFor, mintAccessToken } from './mint-access-token.ts';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync('contracts/claims/access-token.v1.schema.json', 'utf8')) as object);

const NOW = Date.UTC(2026, 4, 1, 8, 30, 15, 999);

describe('acrFor', () => {
  it.each([
    [['pwd'], 'urn:melmastoon:acr:pwd'],
    [['email'], 'urn:melmastoon:acr:pwd'],
    [['pwd', 'otp'], 'urn:melmastoon:acr:mfa'],
    [['email', 'rec'], 'urn:melmastoon:acr:mfa'],
    [['pwd', 'hwk'], 'urn:melmastoon:acr:phr'],
    [['hwk'], 'urn:melmastoon:acr:pwd'],
    [['pwd', 'mfa'], 'urn:melmastoon:acr:pwd'],
    [['pwd', 'pwd'], 'urn:melmastoon:acr:pwd'],
  ] as const)('%j -> %s', (amr, acr) => {
    expect(acrFor(amr)).toBe(acr);
  });
});

describe('mintAccessToken', () => {
  const clock = fixedClock(NOW);
  const keyRing = createLocalKeyRing(memoryKeyStore(), { clock });
  const deps = { keyRing, random: cryptoRandom, issuer: 'https://id.example.com', audience: 'melmastoon' };

  it('issues a contract v1 token: at+jwt ES256 with the current kid, exp = iat + 900, nbf = iat, unique jti', async () => {
    const input = { userId: 'u1', tenantId: 'acme', roles: ['a', 'b', 'a'], amr: ['pwd'] as const, sessionId: 's1', nowMs: NOW };
    const minted = await mintAccessToken(deps, input);
    const header = decodeProtectedHeader(minted.token);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: (await keyRing.current()).kid });
    const jwks = (await buildJwks(keyRing)) as unknown as { keys: JWK[] };
    const { payload } = await jwtVerify(minted.token, createLocalJWKSet(jwks), {
      issuer: 'https://id.example.com',
      audience: 'melmastoon',
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(NOW),
    });
    expect(payload).toEqual({
      iss: 'https://id.example.com',
      sub: 'u1',
      aud: 'melmastoon',
      iat: Math.floor(NOW / 1000),
      nbf: Math.floor(NOW / 1000),
      exp: Math.floor(NOW / 1000) + ACCESS_TOKEN_TTL_SECONDS,
      jti: minted.jti,
      tid: 'acme',
      roles: ['a', 'b'],
      amr: ['pwd'],
      acr: 'urn:melmastoon:acr:pwd',
      auth_time: Math.floor(NOW / 1000),
      sid: 's1',
      ver: 1,
    });
    expect(validate({ header, payload }), JSON.stringify(validate.errors)).toBe(true);
    expect((await mintAccessToken(deps, input)).jti).not.toBe(minted.jti);
  });

  it('adds cnf x5t#S256 for a device-bound session, still valid under the contract', async () => {
    const x5t = 'A'.repeat(43);
    const minted = await mintAccessToken(deps, { userId: 'u1', tenantId: 'acme', roles: [], amr: ['pwd', 'hwk'], sessionId: 's1', nowMs: NOW, x5tS256: x5t });
    expect(minted.claims['cnf']).toEqual({ 'x5t#S256': x5t });
    expect(minted.claims['acr']).toBe('urn:melmastoon:acr:phr');
    expect(validate({ header: decodeProtectedHeader(minted.token), payload: minted.claims })).toBe(true);
  });

  it('keeps the authentication time it is given (a refresh): auth_time before iat, still valid under the contract', async () => {
    const login = NOW - 3_600_000;
    const minted = await mintAccessToken(deps, { userId: 'u1', tenantId: 'acme', roles: [], amr: ['pwd', 'otp'], sessionId: 's1', nowMs: NOW, authTimeMs: login });
    expect(minted.claims['iat']).toBe(Math.floor(NOW / 1000));
    expect(minted.claims['auth_time']).toBe(Math.floor(login / 1000));
    expect(validate({ header: decodeProtectedHeader(minted.token), payload: minted.claims })).toBe(true);
  });

  it('a token whose claims break the contract is caught by the schema check (the test can fail)', () => {
    expect(validate({ header: { alg: 'ES256', typ: 'at+jwt', kid: 'k' }, payload: { iss: 'https://x', sub: 'u' } })).toBe(false);
  });
});
