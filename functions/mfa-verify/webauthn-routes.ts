/**
 * WebAuthn routes of the `mfa-verify` function and the WebAuthn step of
 * `POST /v1/mfa/verify`. STUB created by the mfa-verify owner; the WebAuthn
 * engineer owns this file from here on and fills it in.
 *
 * Contract with `routes.ts` / `verify.ts`:
 * - `webauthnRoutes(deps)` returns the WebAuthn routes (registration options
 *   and verify, the login challenge for an `mfa_token`); `routes.ts` serves
 *   them beside the TOTP and recovery-code routes.
 * - `verifyWebauthnInTx(tx, deps, input)` checks one assertion inside the
 *   `POST /v1/mfa/verify` transaction (after the caller's reads of the
 *   `mfa_token` and the user, before its writes), like `verifyTotpInTx`:
 *   it reads its own records first, then buffers its writes (challenge
 *   consumed, sign count, attempt counters via `attempt-counters.ts`).
 */
import type { AttemptRefusal } from '../../shared/domain/mfa/attempt-counters.ts';
import type { MfaDeps } from '../../shared/domain/mfa/mfa-deps.ts';
import type { TxRepos } from '../../shared/domain/ports.ts';
import type { Tenant } from '../../shared/domain/tenants/tenant.ts';
import type { Route } from '../../shared/http/router.ts';
import type { Logger } from '../../shared/log.ts';
import type { AccessTokenClaims, VerifyBearerOptions } from '../../shared/http/bearer.ts';
import type { HttpRequest } from '../../shared/http/types.ts';

/** What the WebAuthn routes and step get from `index.ts` (the same objects as the TOTP routes). */
export interface WebauthnRouteDeps {
  readonly mfa: MfaDeps;
  /** Verifies `Authorization: Bearer` (an enrollment token is accepted only with `allowEnrollment`). */
  readonly verifyBearer: (req: Pick<HttpRequest, 'headers'>, options?: VerifyBearerOptions & { readonly allowEnrollment?: boolean }) => Promise<AccessTokenClaims>;
  readonly log: Logger;
}

/** One WebAuthn assertion finishing a login. */
export interface VerifyWebauthnInput {
  readonly tenant: Tenant;
  readonly userId: string;
  /** The hash of the `mfa_token` (`hashOpaqueToken`): the challenge is bound to it. */
  readonly mfaTokenHash: string;
  /** The `response` field of the request body, unvalidated (the WebAuthn code validates it). */
  readonly response: unknown;
  /** True when the tenant policy demands hardware MFA for the user's roles: UV must be set. */
  readonly userVerificationRequired: boolean;
  readonly nowMs: number;
}

/** What an assertion found. Everything but `verified` and `malformed` counts as a failure. */
export type VerifyWebauthnOutcome =
  | { readonly kind: 'verified'; readonly factorId: string; readonly userVerified: boolean }
  /** Not a WebAuthn assertion at all (400 `invalid_request`). */
  | { readonly kind: 'malformed'; readonly reason: string }
  | AttemptRefusal
  /** No confirmed WebAuthn factor, unknown credential, no live challenge, bad signature/origin/counter. */
  | { readonly kind: 'invalid_assertion'; readonly reason: string }
  /** The policy demands user verification and the assertion lacks it. */
  | { readonly kind: 'uv_required' };

/** The WebAuthn routes (none yet in the stub). */
export function webauthnRoutes(deps: WebauthnRouteDeps): Route[] {
  void deps;
  return [];
}

/** Checks one assertion inside the caller's transaction. Stub: refuses every assertion. */
export async function verifyWebauthnInTx(tx: TxRepos, deps: WebauthnRouteDeps, input: VerifyWebauthnInput): Promise<VerifyWebauthnOutcome> {
  void tx;
  void deps;
  void input;
  return { kind: 'invalid_assertion', reason: 'webauthn not implemented' };
}
