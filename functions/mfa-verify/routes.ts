/**
 * The route registry of the `mfa-verify` function (docs/api.md, docs/mfa.md):
 * TOTP enrolment and confirmation, recovery codes, `POST /v1/mfa/verify`
 * (in `mfa-routes.ts`), and the WebAuthn routes (in `webauthn-routes.ts`).
 * Framework-free, so tests call them directly; `index.ts` serves them.
 */
import type { Route } from '../../shared/http/router.ts';
import { mfaRoutes, type MfaRouteDeps } from './mfa-routes.ts';
import { webauthnRoutes } from './webauthn-routes.ts';

/** Every route of the `mfa-verify` function. */
export function mfaVerifyRoutes(deps: MfaRouteDeps): Route[] {
  return [...mfaRoutes(deps), ...webauthnRoutes(deps)];
}
