/**
 * The WebAuthn step of a login (`POST /v1/mfa/challenge` with
 * `method: "webauthn"`): a fresh challenge bound to the `mfa_token` (its
 * hash; asking again replaces it), living 5 minutes and never past the
 * token, and the `PublicKeyCredentialRequestOptionsJSON` listing the user's
 * confirmed credentials, user verification as the policy demands.
 */
import { base64urlEncode } from '../../keys/base64url.ts';
import { confirmedOf } from '../factor.ts';
import { challengeKey, WEBAUTHN_CHALLENGE_BYTES, WEBAUTHN_CHALLENGE_TTL_SECONDS, type WebAuthnChallenge } from './challenge.ts';
import { userVerificationFor } from './user-verification.ts';
import type { WebAuthnDeps } from './webauthn-deps.ts';

/** The `mfa_token` of the login (its tenant and hash). */
export interface StartWebauthnAssertionInput {
  readonly tenantId: string;
  readonly mfaTokenHash: string;
}

/** The options for the browser, or why there are none. */
export type StartWebauthnAssertionOutcome =
  | { readonly kind: 'options'; readonly options: Record<string, unknown> }
  /** Unknown, used or expired `mfa_token`, or its user is gone. */
  | { readonly kind: 'invalid_mfa_token' }
  /** The user has no confirmed WebAuthn credential. */
  | { readonly kind: 'no_factor' };

/** Issues a login challenge and its options. */
export async function startWebauthnAssertion(deps: WebAuthnDeps, input: StartWebauthnAssertionInput): Promise<StartWebauthnAssertionOutcome> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'invalid_mfa_token' };
  return deps.uow.run(region, async (tx): Promise<StartWebauthnAssertionOutcome> => {
    const token = await tx.mfaTokens.get(input.tenantId, input.mfaTokenHash);
    const nowMs = deps.clock.now();
    if (token === undefined || Date.parse(token.expires_at) <= nowMs) return { kind: 'invalid_mfa_token' };
    const tenant = await tx.tenants.get(input.tenantId);
    const user = await tx.users.get(input.tenantId, token.user_id);
    const factors = await tx.mfaFactors.listForUser(input.tenantId, token.user_id);
    if (tenant === undefined || user === undefined || user.status !== 'active') return { kind: 'invalid_mfa_token' };
    const credentials = confirmedOf(factors, 'webauthn');
    if (credentials.length === 0) return { kind: 'no_factor' };
    const userVerification = userVerificationFor(tenant.policy, user.roles);
    const expiresMs = Math.min(nowMs + WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000, Date.parse(token.expires_at));
    const challenge: WebAuthnChallenge = {
      key: challengeKey(input.tenantId, 'authentication', input.mfaTokenHash),
      tenant_id: input.tenantId,
      user_id: token.user_id,
      purpose: 'authentication',
      subject: input.mfaTokenHash,
      challenge: base64urlEncode(deps.random.bytes(WEBAUTHN_CHALLENGE_BYTES)),
      user_verification: userVerification,
      created_at: new Date(nowMs).toISOString(),
      expires_at: new Date(expiresMs).toISOString(),
    };
    tx.webauthnChallenges.put(challenge);
    const options = await deps.relyingParty.authenticationOptions({
      rpId: tenant.policy.webauthn.rp_id,
      challenge: challenge.challenge,
      allowCredentials: credentials.map((f) => ({ id: f.credential_id, transports: f.transports })),
      userVerification,
    });
    return { kind: 'options', options };
  });
}
