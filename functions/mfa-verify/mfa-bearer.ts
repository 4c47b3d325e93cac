/**
 * Bearer verification for `mfa-verify`: ordinary access tokens, and, where a
 * route asks for it (`allowEnrollment`), the enrollment tokens of
 * `403 mfa_enrollment_required` (audience `<audience>#mfa_enroll`,
 * `shared/domain/mfa/enrollment-token.ts`). Every other function verifies
 * `aud === config.audience` and so refuses enrollment tokens.
 */
import { enrollmentAudience } from '../../shared/domain/mfa/enrollment-token.ts';
import { createBearerVerifier, type AccessTokenClaims, type BearerDeps, type VerifyBearerOptions } from '../../shared/http/bearer.ts';
import type { HttpRequest } from '../../shared/http/types.ts';

/** Options of {@link MfaBearer}. */
export type MfaBearerOptions = VerifyBearerOptions & {
  /** Accept an enrollment token too (TOTP enrol/confirm, WebAuthn registration only). */
  readonly allowEnrollment?: boolean;
};

/** Verifies `Authorization: Bearer`; throws 401 `invalid_token`. */
export type MfaBearer = (req: Pick<HttpRequest, 'headers'>, options?: MfaBearerOptions) => Promise<AccessTokenClaims>;

/** True when `claims` come from an enrollment token. */
export function isEnrollmentToken(claims: Pick<AccessTokenClaims, 'aud'>, audience: string): boolean {
  const aud = enrollmentAudience(audience);
  return Array.isArray(claims.aud) ? claims.aud.includes(aud) : claims.aud === aud;
}

/** What {@link createMfaBearer} needs. */
export interface MfaBearerDeps extends BearerDeps {
  /**
   * The live-session check of ordinary tokens (`sessionIsLive`): a token of a
   * revoked, expired or epoch-revoked session must not change factors in the
   * minutes it still verifies. Enrollment tokens have no session and skip it.
   */
  readonly checkSession: NonNullable<VerifyBearerOptions['checkSession']>;
}

/** Builds both verifiers once per instance. */
export function createMfaBearer(deps: MfaBearerDeps): MfaBearer {
  const { checkSession, ...bearer } = deps;
  const ordinary = createBearerVerifier(bearer);
  const enrollment = createBearerVerifier({ ...bearer, audience: enrollmentAudience(bearer.audience) });
  return async (req, options = {}) => {
    const { allowEnrollment, ...rest } = options;
    try {
      return await ordinary(req, { checkSession, ...rest });
    } catch (e) {
      if (allowEnrollment !== true) throw e;
      try {
        return await enrollment(req, rest);
      } catch {
        throw e;
      }
    }
  };
}
