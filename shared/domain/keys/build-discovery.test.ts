import { describe, expect, it } from 'vitest';
import { buildDiscovery, DISCOVERY_PATH, JWKS_PATH } from './build-discovery.ts';

describe('buildDiscovery', () => {
  it('derives every endpoint from the issuer, which it repeats exactly (OIDC Discovery §3)', () => {
    const doc = buildDiscovery('https://iam.example.com');
    expect(doc.issuer).toBe('https://iam.example.com');
    expect(doc.jwks_uri).toBe(`https://iam.example.com${JWKS_PATH}`);
    expect(doc.token_endpoint).toBe('https://iam.example.com/v1/token');
    expect(doc.revocation_endpoint).toBe('https://iam.example.com/v1/revoke');
    expect(DISCOVERY_PATH).toBe('/.well-known/openid-configuration');
  });

  it('does not double a trailing slash', () => {
    expect(buildDiscovery('http://127.0.0.1:8080/').jwks_uri).toBe('http://127.0.0.1:8080/.well-known/jwks.json');
  });

  it('declares ES256 only, public clients, the refresh_token grant, and the claims of contract v1', () => {
    const doc = buildDiscovery('https://iam.example.com');
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(['none']);
    expect(doc.grant_types_supported).toEqual(['refresh_token']);
    expect(doc.subject_types_supported).toEqual(['public']);
    expect(doc.response_types_supported).toEqual([]);
    expect(doc.claims_supported).toEqual(expect.arrayContaining(['iss', 'sub', 'aud', 'exp', 'tid', 'sid', 'ver', 'cnf']));
  });
});
