/**
 * Finishes a passkey registration (`POST /v1/mfa/webauthn/register/verify`)
 * with the browser's `RegistrationResponseJSON`. In one transaction: the
 * user's registration challenge is consumed (whatever the outcome: one
 * answer per challenge), the response is verified (WebAuthn §7.1: challenge,
 * origin among the tenant's `webauthn.origins`, RP ID hash, user presence,
 * user verification where the policy demands it, the attestation), the
 * credential is stored as a confirmed `webauthn` factor (id, COSE public key,
 * sign counter, transports, UV), `webauthn` joins `user.mfa_methods`, and
 * `iam.mfa.enrolled.v1` and the audit event `mfa.enrolled` are written.
 * A credential id already registered in the tenant is refused (§7.1 step 26).
 */
import type { MfaMethod } from '../../accounts/user.ts';
import type { Actor } from '../../outbox/event.ts';
import type { WebAuthnFactor } from '../factor.ts';
import { recordMfaChange } from '../mfa-events.ts';
import { challengeExpired, challengeKey } from './challenge.ts';
import { readResponse, RegistrationResponseShape } from './response-shape.ts';
import { userVerificationFor } from './user-verification.ts';
import type { WebAuthnDeps } from './webauthn-deps.ts';

/** The browser's answer for a registration (from the Bearer user). */
export interface FinishWebauthnRegistrationInput {
  readonly tenantId: string;
  readonly userId: string;
  /** The `RegistrationResponseJSON`, unvalidated. */
  readonly response: unknown;
  readonly actor: Actor;
  readonly requestId: string | null;
}

/** What a registration found. */
export type FinishWebauthnRegistrationOutcome =
  | { readonly kind: 'registered'; readonly factorId: string; readonly methods: readonly MfaMethod[]; readonly userVerified: boolean }
  /** Not a `RegistrationResponseJSON`: nothing read. */
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'user_not_found' }
  /** No registration challenge for this user (never asked, or already answered). */
  | { readonly kind: 'no_challenge' }
  | { readonly kind: 'challenge_expired' }
  /** The response failed a check of WebAuthn §7.1 (signature, challenge, origin, RP ID, UV). */
  | { readonly kind: 'invalid_response'; readonly reason: string }
  /** This credential is registered already. */
  | { readonly kind: 'already_registered' };

/** Verifies the response and stores the credential. */
export async function finishWebauthnRegistration(deps: WebAuthnDeps, input: FinishWebauthnRegistrationInput): Promise<FinishWebauthnRegistrationOutcome> {
  const shape = readResponse(RegistrationResponseShape, input.response);
  if (!shape.ok) return { kind: 'malformed', reason: shape.reason };
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'user_not_found' };
  return deps.uow.run(region, async (tx): Promise<FinishWebauthnRegistrationOutcome> => {
    const key = challengeKey(input.tenantId, 'registration', input.userId);
    const tenant = await tx.tenants.get(input.tenantId);
    const user = await tx.users.get(input.tenantId, input.userId);
    const challenge = await tx.webauthnChallenges.get(input.tenantId, key);
    const existing = await tx.mfaFactors.findByCredentialId(input.tenantId, shape.credentialId);
    if (tenant === undefined || user === undefined || user.status !== 'active') return { kind: 'user_not_found' };
    if (challenge === undefined || challenge.user_id !== input.userId) return { kind: 'no_challenge' };
    tx.webauthnChallenges.delete(input.tenantId, key);
    const nowMs = deps.clock.now();
    if (challengeExpired(challenge, nowMs)) return { kind: 'challenge_expired' };
    const required = challenge.user_verification === 'required' || userVerificationFor(tenant.policy, user.roles) === 'required';
    const checked = await deps.relyingParty.verifyRegistration(input.response, {
      challenge: challenge.challenge,
      origins: tenant.policy.webauthn.origins,
      rpId: tenant.policy.webauthn.rp_id,
      requireUserVerification: required,
    });
    if (!checked.ok) return { kind: 'invalid_response', reason: checked.reason };
    if (existing !== undefined) return { kind: 'already_registered' };

    const now = new Date(nowMs).toISOString();
    const factor: WebAuthnFactor = {
      tenant_id: input.tenantId,
      user_id: input.userId,
      factor_id: deps.random.uuid(),
      type: 'webauthn',
      status: 'confirmed',
      created_at: now,
      confirmed_at: now,
      last_used_at: null,
      credential_id: checked.value.credentialId,
      public_key: checked.value.publicKey,
      sign_count: checked.value.signCount,
      transports: checked.value.transports,
      uv: checked.value.userVerified,
    };
    tx.mfaFactors.create(factor);
    const methods: readonly MfaMethod[] = user.mfa_methods.includes('webauthn') ? user.mfa_methods : [...user.mfa_methods, 'webauthn'];
    tx.users.put({ ...user, mfa_methods: methods, updated_at: now });
    const details = { factor_id: factor.factor_id, method: 'webauthn', uv: factor.uv, transports: factor.transports };
    recordMfaChange(tx, deps.random, {
      tenantId: input.tenantId,
      userId: input.userId,
      type: 'iam.mfa.enrolled.v1',
      data: { factor_id: factor.factor_id, method: 'webauthn', replaced_factor_ids: [] },
      action: 'mfa.enrolled',
      actor: input.actor,
      requestId: input.requestId,
      details,
      at: now,
    });
    return { kind: 'registered', factorId: factor.factor_id, methods, userVerified: factor.uv };
  });
}
