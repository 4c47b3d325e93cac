/**
 * Access tokens per claims contract v1 (`contracts/claims/access-token.v1.schema.json`,
 * SPEC section 3, risk R-18): a JWS ES256 with the header
 * `{alg:"ES256", typ:"at+jwt", kid}` (RFC 9068 §2.1) signed by the key ring's
 * current key.
 */
import { ACCESS_TOKEN_TYP, signJws } from '../keys/sign-jws.ts';
import type { KeyRing, Random } from '../ports.ts';

/** Lifetime of every access token: 15 minutes (SPEC section 3: `expires_in: 900`). */
export const ACCESS_TOKEN_TTL_SECONDS = 900;

/** The claims contract version this code issues. */
export const CLAIMS_VERSION = 1;

/** The assurance levels of the `acr` claim. */
export const ACR = {
  /** One factor: a password or a magic link. */
  single: 'urn:melmastoon:acr:pwd',
  /** Two factors. */
  mfa: 'urn:melmastoon:acr:mfa',
  /** Two factors, one phishing-resistant (WebAuthn). */
  phishingResistant: 'urn:melmastoon:acr:phr',
} as const;

/** An `acr` value. */
export type Acr = (typeof ACR)[keyof typeof ACR];

/** RFC 8176 method values iam-service uses (`rec` is ours: a recovery code). */
export type Amr = 'pwd' | 'otp' | 'hwk' | 'rec' | 'mfa' | 'email';

/** The assurance level `amr` proves: `phr` with WebAuthn plus another method, `mfa` with two methods, else single. */
export function acrFor(amr: readonly Amr[]): Acr {
  const factors = new Set(amr.filter((m) => m !== 'mfa'));
  if (factors.size >= 2 && factors.has('hwk')) return ACR.phishingResistant;
  if (factors.size >= 2) return ACR.mfa;
  return ACR.single;
}

/** What {@link mintAccessToken} needs. */
export interface MintAccessTokenDeps {
  readonly keyRing: KeyRing;
  readonly random: Random;
  /** `iss`: the issuer URL (`config.issuer`). */
  readonly issuer: string;
  /** `aud` (`config.audience`). */
  readonly audience: string;
}

/** The subject of a token. */
export interface AccessTokenInput {
  readonly userId: string;
  readonly tenantId: string;
  readonly roles: readonly string[];
  readonly amr: readonly Amr[];
  readonly sessionId: string;
  /** Now, milliseconds since the epoch. */
  readonly nowMs: number;
  /**
   * When the user authenticated with `amr`, ms since the epoch (`auth_time`,
   * RFC 9068 §2.2.1): now for a login, the family's creation for a refresh.
   * Defaults to `nowMs`.
   */
  readonly authTimeMs?: number;
  /** RFC 8705 §3.1 confirmation of a device-bound session: base64url SHA-256 of the certificate. */
  readonly x5tS256?: string;
}

/** A signed access token. */
export interface MintedAccessToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresIn: typeof ACCESS_TOKEN_TTL_SECONDS;
  /** The claims, for tests and logs (no secret in them). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Signs an access token with the key ring's current key. Throws what the key
 * ring throws (`temporarily_unavailable` when no signer answers).
 */
export async function mintAccessToken(deps: MintAccessTokenDeps, input: AccessTokenInput): Promise<MintedAccessToken> {
  const iat = Math.floor(input.nowMs / 1000);
  const jti = deps.random.uuid();
  const claims: Record<string, unknown> = {
    iss: deps.issuer,
    sub: input.userId,
    aud: deps.audience,
    // RFC 9068 §2.2: exp, iat; the contract caps the lifetime at 900 s.
    exp: iat + ACCESS_TOKEN_TTL_SECONDS,
    iat,
    nbf: iat,
    jti,
    tid: input.tenantId,
    roles: [...new Set(input.roles)],
    amr: [...new Set(input.amr)],
    acr: acrFor(input.amr),
    // RFC 9068 §2.2.1: the time of the authentication that `amr` describes.
    // A refreshed token keeps the login's `amr`, so it keeps its `auth_time`
    // too: `iat` says when the token was signed, not when a factor passed.
    auth_time: Math.floor((input.authTimeMs ?? input.nowMs) / 1000),
    sid: input.sessionId,
    ver: CLAIMS_VERSION,
  };
  if (input.x5tS256 !== undefined) claims['cnf'] = { 'x5t#S256': input.x5tS256 };
  const signer = await deps.keyRing.current();
  const token = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, claims);
  return { token, jti, expiresIn: ACCESS_TOKEN_TTL_SECONDS, claims };
}
