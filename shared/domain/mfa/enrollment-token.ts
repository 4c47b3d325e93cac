/**
 * The enrollment token of `403 mfa_enrollment_required` (issue 5 item 5):
 * the policy mandates a second factor for the user's roles and the user has
 * none (or, for `webauthn_required_for_roles`, no WebAuthn). The login hands
 * out an access token LIMITED to enrolment instead of a session:
 *
 * - a normal contract-v1 access token (same signer, `typ`, claims), but its
 *   `aud` is `<audience>#mfa_enroll` ({@link enrollmentAudience}). Every Bearer
 *   route verifies `aud === config.audience`, so every route refuses it
 *   (401 `invalid_token`) except those of `mfa-verify` that accept it on
 *   purpose (enrol and confirm TOTP, the WebAuthn registration);
 * - `roles: []`, `amr: ["pwd"]`, and a `sid` naming no session
 *   (`enroll-<uuid>`): a consumer that ignored `aud` would still find no
 *   role and no live session;
 * - it lives as long as an access token (15 min) and is never refreshed.
 *
 * After confirming a factor the user logs in again and passes the new factor.
 */
import type { MfaMethod, User } from '../accounts/user.ts';
import { mintAccessToken, type Amr, type MintAccessTokenDeps, type MintedAccessToken } from '../tokens/mint-access-token.ts';

/** Appended to `config.audience` to make the audience of enrollment tokens. */
export const ENROLLMENT_AUDIENCE_SUFFIX = '#mfa_enroll';

/** How recent a second factor must be to change the factors of a user who has one: 5 minutes. */
export const RECENT_MFA_SECONDS = 5 * 60;

/** The `sid` prefix of enrollment tokens (no session has it). */
export const ENROLLMENT_SID_PREFIX = 'enroll-';

/** The `aud` of enrollment tokens for the service audience `audience`. */
export function enrollmentAudience(audience: string): string {
  return `${audience}${ENROLLMENT_AUDIENCE_SUFFIX}`;
}

/** Signs an enrollment token for a user who passed the password but must enrol a factor. */
export async function mintEnrollmentToken(
  deps: MintAccessTokenDeps,
  input: { readonly tenantId: string; readonly userId: string; readonly amr: readonly Amr[]; readonly nowMs: number },
): Promise<MintedAccessToken> {
  return mintAccessToken(
    { ...deps, audience: enrollmentAudience(deps.audience) },
    {
      userId: input.userId,
      tenantId: input.tenantId,
      roles: [],
      amr: input.amr,
      sessionId: `${ENROLLMENT_SID_PREFIX}${deps.random.uuid()}`,
      nowMs: input.nowMs,
    },
  );
}

const SECOND_FACTORS: readonly string[] = ['otp', 'hwk', 'rec'];
const PRIMARY: readonly MfaMethod[] = ['totp', 'webauthn'];

/** The claims that tell how and when the user authenticated. */
export interface AuthenticationClaims {
  readonly amr: readonly string[];
  /** RFC 9068 §2.2.1; absent: not known, so never recent. */
  readonly auth_time?: number | undefined;
}

/**
 * True when the token proves a second factor passed at most
 * {@link RECENT_MFA_SECONDS} ago. Judged by `auth_time`, never `iat`: a
 * refreshed token is signed now but proves only the login's old factor, so a
 * stolen refresh token must not pass for a fresh MFA.
 */
export function hasRecentSecondFactor(claims: AuthenticationClaims, nowMs: number): boolean {
  if (claims.auth_time === undefined) return false;
  return claims.amr.some((m) => SECOND_FACTORS.includes(m)) && nowMs / 1000 - claims.auth_time <= RECENT_MFA_SECONDS;
}

/**
 * Whether the caller may add or replace a factor, or regenerate recovery
 * codes: always while the user has no confirmed factor (first enrolment,
 * also with an enrollment token); once they have one, only with a recent
 * second factor, or a stolen access token (or password) could swap it.
 */
export function mayChangeFactors(user: Pick<User, 'mfa_methods'>, claims: AuthenticationClaims, nowMs: number): boolean {
  return !user.mfa_methods.some((m) => PRIMARY.includes(m)) || hasRecentSecondFactor(claims, nowMs);
}
