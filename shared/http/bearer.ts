/**
 * The Bearer middleware every protected route shares (RFC 6750, RFC 9068).
 *
 * `verifyBearer(deps, req)` returns the verified access token claims, or throws
 * `IamError('invalid_token')`, which the envelope renders as 401 with
 * `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
 *
 * Order of the checks, cheapest and most dangerous first:
 * 1. `Authorization: Bearer <compact JWS>` (one token, base64url parts, at most 8 KiB);
 * 2. the protected header, BEFORE any key is touched: `alg` exactly `ES256`
 *    (so `none`, `HS256` signed with the public key as a secret, `ES384`, ...
 *    never reach a verifier: RFC 8725 §3.1 and §3.2), `typ` exactly `at+jwt`
 *    (RFC 9068 §4), a `kid`, and no other header member (claims contract v1);
 * 3. the `kid` among the key ring's published keys (current, next, previous),
 *    filtered on `use: sig`, `alg: ES256`;
 * 4. the signature, with `jose` pinned to ES256;
 * 5. the claims: `iss`, `aud`, `exp` and `nbf` with {@link BEARER_CLOCK_SKEW_SECONDS}
 *    of tolerance, a lifetime of at most 900 s, `ver: 1`, and every required
 *    claim of contract v1 with its type;
 * 6. optionally `checkSession(claims)`, for routes that need a live session
 *    (`sessionIsLive(deps)` in `shared/domain/sessions/session-is-live.ts`).
 */
import { importJWK, jwtVerify, errors as joseErrors } from 'jose';
import * as v from 'valibot';
import { IamError } from '../domain/errors.ts';
import { base64urlDecode } from '../domain/keys/base64url.ts';
import { ACCESS_TOKEN_TYP } from '../domain/keys/sign-jws.ts';
import type { Clock, KeyRing, PublicJwk } from '../domain/ports.ts';
import type { HttpRequest } from './types.ts';

/**
 * Clock skew tolerated on `exp`, `nbf` and `iat`, seconds. Cloud Run instances
 * are NTP-synchronised; 30 s covers a client-side resend without making a
 * 15-minute token meaningfully longer-lived.
 */
export const BEARER_CLOCK_SKEW_SECONDS = 30;
/** The longest an access token may live (SPEC section 3: `exp` at most 15 min after `iat`). */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 900;
/** The longest `Authorization` value looked at. Our tokens are well under 2 KiB. */
export const MAX_BEARER_LENGTH = 8192;

const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const Str = v.pipe(v.string(), v.minLength(1));
const Int = v.pipe(v.number(), v.integer());

/** The claims of access token contract v1 (`contracts/claims/access-token.v1.schema.json`). */
const ClaimsSchema = v.object({
  iss: Str,
  sub: Str,
  aud: v.union([Str, v.pipe(v.array(Str), v.minLength(1))]),
  exp: Int,
  iat: Int,
  nbf: Int,
  jti: v.pipe(v.string(), v.minLength(16)),
  tid: v.pipe(v.string(), v.regex(TENANT_ID)),
  roles: v.array(v.string()),
  amr: v.pipe(v.array(v.picklist(['pwd', 'otp', 'hwk', 'rec', 'mfa', 'email'])), v.minLength(1)),
  acr: v.picklist(['urn:melmastoon:acr:pwd', 'urn:melmastoon:acr:mfa', 'urn:melmastoon:acr:phr']),
  sid: Str,
  ver: v.literal(1),
  auth_time: v.optional(Int),
  cnf: v.optional(v.object({ 'x5t#S256': v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/)) })),
});

/** Verified access token claims. Unknown claims are dropped (contract v1: consumers ignore them). */
export type AccessTokenClaims = v.InferOutput<typeof ClaimsSchema>;

/** What {@link verifyBearer} needs. Build it once per instance. */
export interface BearerDeps {
  /** The key ring whose published keys (current, next, previous) verify tokens. */
  readonly keyRing: Pick<KeyRing, 'published'>;
  readonly clock: Clock;
  /** `config.issuer`: the exact `iss`. */
  readonly issuer: string;
  /** `config.audience`: must be in `aud`. */
  readonly audience: string;
}

/** Per-route options. */
export interface VerifyBearerOptions {
  /**
   * For routes that need the session to be live: called with the verified
   * claims; `false` (ended, revoked, epoch passed) answers `invalid_token`.
   * The implementation over the stores is `sessionIsLive(deps)`
   * (`shared/domain/sessions/session-is-live.ts`): the `sid` family must be
   * the token's own tenant's and user's, unrevoked, inside its lifetimes and
   * not under a tenant or platform revocation epoch.
   */
  readonly checkSession?: (claims: AccessTokenClaims) => Promise<boolean>;
  /** Overrides {@link BEARER_CLOCK_SKEW_SECONDS}. */
  readonly clockSkewSeconds?: number;
}

const HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function invalid(description: string, cause?: unknown): IamError {
  return new IamError('invalid_token', description, cause === undefined ? {} : { cause });
}

/** The token of an `Authorization: Bearer` header, or throws `invalid_token`. */
export function bearerToken(req: Pick<HttpRequest, 'headers'>): string {
  const value = req.headers['authorization'];
  if (value === undefined || value === '') throw invalid('an access token is required (Authorization: Bearer)');
  if (value.length > MAX_BEARER_LENGTH) throw invalid('the access token is too long');
  // RFC 7235 §2.1: the scheme is case-insensitive. RFC 6750 §2.1: one b64token.
  const match = /^Bearer +([^\s,]+)$/i.exec(value);
  if (match === null) throw invalid('the Authorization header is not a Bearer token');
  return match[1] as string;
}

/** Decodes and checks the protected header. No key is involved yet. */
function checkHeader(token: string): string {
  if (!COMPACT_JWS.test(token)) throw invalid('the access token is not a compact JWS');
  const bytes = base64urlDecode(token.slice(0, token.indexOf('.')));
  let header: unknown;
  try {
    header = bytes === undefined ? undefined : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    header = undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid('the access token header is malformed');
  const h = header as Record<string, unknown>;
  // RFC 8725 §3.1: the algorithm is pinned, never taken from the token.
  if (h['alg'] !== 'ES256') throw invalid('the access token algorithm is not accepted');
  // RFC 9068 §4: resource servers MUST verify that typ is at+jwt (explicit typing, RFC 8725 §3.11).
  if (h['typ'] !== ACCESS_TOKEN_TYP) throw invalid('the token is not an access token (typ)');
  if (typeof h['kid'] !== 'string' || h['kid'] === '') throw invalid('the access token names no key');
  for (const member of Object.keys(h)) {
    // `crit`, `jku`, `jwk`, `x5u`, ...: contract v1 headers carry alg, typ and kid only.
    if (!HEADER_MEMBERS.has(member)) throw invalid('the access token header has an unexpected member');
  }
  return h['kid'];
}

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Builds the verifier of one deployment. It caches imported public keys by
 * kid; the key ring caches the published set itself.
 */
export function createBearerVerifier(deps: BearerDeps): (req: Pick<HttpRequest, 'headers'>, options?: VerifyBearerOptions) => Promise<AccessTokenClaims> {
  const imported = new Map<string, { readonly x: string; readonly y: string; readonly key: VerifyKey }>();

  const keyFor = async (kid: string): Promise<VerifyKey> => {
    const published = await deps.keyRing.published();
    const jwk: PublicJwk | undefined = published
      .map((p) => p.jwk)
      // SPEC section 3: verifiers filter on use and alg themselves.
      .find((k) => k.kid === kid && k.use === 'sig' && k.alg === 'ES256' && k.kty === 'EC' && k.crv === 'P-256');
    if (jwk === undefined) throw invalid('the access token was signed by an unknown key');
    const hit = imported.get(kid);
    if (hit !== undefined && hit.x === jwk.x && hit.y === jwk.y) return hit.key;
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'ES256');
    imported.set(kid, { x: jwk.x, y: jwk.y, key });
    return key;
  };

  return async (req, options = {}) => {
    const token = bearerToken(req);
    const kid = checkHeader(token);
    const key = await keyFor(kid);
    const skew = options.clockSkewSeconds ?? BEARER_CLOCK_SKEW_SECONDS;
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['ES256'],
        typ: ACCESS_TOKEN_TYP,
        issuer: deps.issuer,
        audience: deps.audience,
        clockTolerance: skew,
        currentDate: new Date(deps.clock.now()),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti'],
      }));
    } catch (e) {
      throw invalid(describeJoseError(e), e);
    }
    const parsed = v.safeParse(ClaimsSchema, payload);
    if (!parsed.success) throw invalid('the access token claims do not follow contract v1');
    const claims = parsed.output;
    if (claims.exp - claims.iat > MAX_ACCESS_TOKEN_LIFETIME_SECONDS || claims.exp <= claims.iat) {
      throw invalid('the access token lifetime is not accepted');
    }
    if (claims.iat > deps.clock.now() / 1000 + skew) throw invalid('the access token was issued in the future');
    if (options.checkSession !== undefined && !(await options.checkSession(claims))) {
      throw invalid('the session of the access token has ended');
    }
    return claims;
  };
}

/**
 * Verifies the request's Bearer access token; one-shot form of
 * {@link createBearerVerifier} (which caches imported keys: prefer it in handlers).
 */
export function verifyBearer(deps: BearerDeps, req: Pick<HttpRequest, 'headers'>, options: VerifyBearerOptions = {}): Promise<AccessTokenClaims> {
  return createBearerVerifier(deps)(req, options);
}

function describeJoseError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'nbf':
        return 'the access token is not valid yet';
      case 'iss':
        return 'the access token was issued by another issuer';
      case 'aud':
        return 'the access token is for another audience';
      default:
        return `the access token claim '${e.claim}' is invalid`;
    }
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  return 'the access token is invalid';
}
