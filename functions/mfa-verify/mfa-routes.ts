/**
 * TOTP, recovery-code and verify routes of `mfa-verify` (being built).
 */
import type { Route } from '../../shared/http/router.ts';
import type { WebauthnRouteDeps } from './webauthn-routes.ts';

/** What the MFA routes need (a superset of the WebAuthn routes' deps). */
export type MfaRouteDeps = WebauthnRouteDeps;

/** The TOTP, recovery-code and verify routes. */
export function mfaRoutes(deps: MfaRouteDeps): Route[] {
  void deps;
  return [];
}
