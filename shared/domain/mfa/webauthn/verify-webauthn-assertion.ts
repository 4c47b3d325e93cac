/**
 * A WebAuthn assertion that finishes a login (`POST /v1/mfa/verify` with
 * `method: "webauthn"`; risks ), inside the caller's transaction
 * like `verifyTotpInTx`: after the caller's reads (the `mfa_token`, the
 * user), before its writes.
 *
 * Reads the attempt counters, the login challenge bound to the `mfa_token`
 * and the user's factors; then consumes the challenge (one answer per
 * challenge, whatever the outcome: a replayed assertion finds no challenge,
 * or one whose value it was not signed over), and verifies the assertion
 * (WebAuthn §7.2: signature with the stored key, challenge, origin among the
 * tenant's `webauthn.origins`, RP ID hash, user presence). User verification
 * is required when the caller or the challenge says so. The signature
 * counter must grow when either side uses one (§6.1.1): a counter that does
 * not is refused and audited (`mfa.webauthn.counter_not_increased`: a sign
 * of a cloned authenticator). Every refusal but `malformed` counts one
 * failure against the `mfa_token` and the user; a success resets them and
 * stores the new counter.
 */
import type { Tenant } from '../../tenants/tenant.ts';
import type { Random, TxRepos, WebAuthnRelyingParty } from '../../ports.ts';
import { attemptRefusal, readAttempts, writeFailure, writeSuccess, type AttemptRefusal } from '../attempt-counters.ts';
import { confirmedOf } from '../factor.ts';
import { recordMfaChange } from '../mfa-events.ts';
import { challengeExpired, challengeKey } from './challenge.ts';
import { AuthenticationResponseShape, readResponse } from './response-shape.ts';

/** One WebAuthn assertion finishing a login. */
export interface VerifyWebauthnInput {
  readonly tenant: Tenant;
  readonly userId: string;
  /** The hash of the `mfa_token` (`hashOpaqueToken`): the challenge is bound to it. */
  readonly mfaTokenHash: string;
  /** The `AuthenticationResponseJSON`, unvalidated. */
  readonly response: unknown;
  /** True when the tenant policy demands hardware MFA for the user's roles: UV must be set. */
  readonly userVerificationRequired: boolean;
  readonly nowMs: number;
  readonly requestId?: string | null;
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

/** Checks one assertion inside the caller's transaction. */
export async function verifyWebauthnAssertionInTx(
  tx: Pick<TxRepos, 'mfaFactors' | 'mfaAttempts' | 'webauthnChallenges' | 'outbox' | 'audit'>,
  deps: { readonly relyingParty: WebAuthnRelyingParty; readonly random: Random },
  input: VerifyWebauthnInput,
): Promise<VerifyWebauthnOutcome> {
  const shape = readResponse(AuthenticationResponseShape, input.response);
  if (!shape.ok) return { kind: 'malformed', reason: shape.reason };
  const tenantId = input.tenant.tenant_id;
  const key = challengeKey(tenantId, 'authentication', input.mfaTokenHash);
  const state = await readAttempts(tx, tenantId, input.userId, input.mfaTokenHash);
  const challenge = await tx.webauthnChallenges.get(tenantId, key);
  const factors = await tx.mfaFactors.listForUser(tenantId, input.userId);
  const refusal = attemptRefusal(state, input.nowMs);
  if (refusal !== undefined) return refusal;

  const fail = (outcome: VerifyWebauthnOutcome): VerifyWebauthnOutcome => {
    writeFailure(tx, state, input.nowMs);
    return outcome;
  };
  if (challenge === undefined || challenge.user_id !== input.userId) return fail({ kind: 'invalid_assertion', reason: 'no live challenge' });
  tx.webauthnChallenges.delete(tenantId, key);
  if (challengeExpired(challenge, input.nowMs)) return fail({ kind: 'invalid_assertion', reason: 'challenge expired' });
  const factor = confirmedOf(factors, 'webauthn').find((f) => f.credential_id === shape.credentialId);
  if (factor === undefined) return fail({ kind: 'invalid_assertion', reason: 'unknown credential' });

  const checked = await deps.relyingParty.verifyAuthentication(
    input.response,
    { id: factor.credential_id, publicKey: factor.public_key, transports: factor.transports },
    { challenge: challenge.challenge, origins: input.tenant.policy.webauthn.origins, rpId: input.tenant.policy.webauthn.rp_id, requireUserVerification: false },
  );
  if (!checked.ok) return fail({ kind: 'invalid_assertion', reason: checked.reason });
  if ((input.userVerificationRequired || challenge.user_verification === 'required') && !checked.value.userVerified) return fail({ kind: 'uv_required' });
  const { signCount } = checked.value;
  const now = new Date(input.nowMs).toISOString();
  if ((signCount > 0 || factor.sign_count > 0) && signCount <= factor.sign_count) {
    recordMfaChange(tx, deps.random, {
      tenantId,
      userId: input.userId,
      type: null,
      action: 'mfa.webauthn.counter_not_increased',
      actor: { type: 'user', id: input.userId },
      requestId: input.requestId ?? null,
      details: { factor_id: factor.factor_id, stored_sign_count: factor.sign_count, received_sign_count: signCount },
      at: now,
    });
    return fail({ kind: 'invalid_assertion', reason: 'sign counter did not increase' });
  }
  tx.mfaFactors.put({ ...factor, sign_count: signCount, last_used_at: now });
  writeSuccess(tx, state);
  return { kind: 'verified', factorId: factor.factor_id, userVerified: checked.value.userVerified };
}
