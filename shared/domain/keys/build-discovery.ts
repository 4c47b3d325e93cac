/** Where the token function serves the key set. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** Where the token function serves the discovery document. */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/**
 * The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).
 * iam-service has no authorization endpoint: logins are first-party
 * (`POST /v1/login`), and the token endpoint serves only `refresh_token`.
 */
export interface DiscoveryDocument {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly grant_types_supported: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly claims_supported: readonly string[];
}

/** The claims of access token contract v1 (SPEC section 3). */
const CLAIMS_V1 = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'tid', 'roles', 'amr', 'acr', 'sid', 'ver', 'cnf'];

/**
 * Builds the discovery document for `issuer` (an absolute URL without a
 * trailing slash). Every endpoint is under the issuer, as the edge routes it.
 */
export function buildDiscovery(issuer: string): DiscoveryDocument {
  const base = issuer.replace(/\/+$/, '');
  return {
    // OIDC Discovery §3: the issuer MUST be identical to the `iss` of issued tokens.
    issuer: base,
    jwks_uri: `${base}${JWKS_PATH}`,
    token_endpoint: `${base}/v1/token`,
    revocation_endpoint: `${base}/v1/revoke`,
    grant_types_supported: ['refresh_token'],
    // No authorization endpoint, so no response type (the member is REQUIRED, hence present and empty).
    response_types_supported: [],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    // Public clients (mobile and web apps): the refresh token is the only credential.
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    claims_supported: CLAIMS_V1,
  };
}
