/**
 * Starts a passkey registration (`POST /v1/mfa/webauthn/register/options`):
 * a fresh challenge bound to the user (replacing any earlier one), and the
 * `PublicKeyCredentialCreationOptionsJSON` for `navigator.credentials.create`
 * with the tenant's RP ID, the user's existing credentials excluded, and
 * user verification as the policy demands for the user's roles.
 */
import { base64urlEncode, base64urlEncodeText } from '../../keys/base64url.ts';
import { confirmedOf } from '../factor.ts';
import { challengeKey, WEBAUTHN_CHALLENGE_BYTES, WEBAUTHN_CHALLENGE_TTL_SECONDS, type WebAuthnChallenge } from './challenge.ts';
import { userVerificationFor } from './user-verification.ts';
import type { WebAuthnDeps } from './webauthn-deps.ts';

/** Who registers (from the Bearer token). */
export interface StartWebauthnRegistrationInput {
  readonly tenantId: string;
  readonly userId: string;
}

/** The options for the browser, or why there are none. */
export type StartWebauthnRegistrationOutcome =
  | { readonly kind: 'options'; readonly options: Record<string, unknown> }
  | { readonly kind: 'user_not_found' };

/** Issues a registration challenge and its options. */
export async function startWebauthnRegistration(deps: WebAuthnDeps, input: StartWebauthnRegistrationInput): Promise<StartWebauthnRegistrationOutcome> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'user_not_found' };
  return deps.uow.run(region, async (tx): Promise<StartWebauthnRegistrationOutcome> => {
    const tenant = await tx.tenants.get(input.tenantId);
    const user = await tx.users.get(input.tenantId, input.userId);
    const factors = await tx.mfaFactors.listForUser(input.tenantId, input.userId);
    if (tenant === undefined || user === undefined || user.status !== 'active') return { kind: 'user_not_found' };
    const nowMs = deps.clock.now();
    const userVerification = userVerificationFor(tenant.policy, user.roles);
    const challenge: WebAuthnChallenge = {
      key: challengeKey(input.tenantId, 'registration', input.userId),
      tenant_id: input.tenantId,
      user_id: input.userId,
      purpose: 'registration',
      subject: input.userId,
      challenge: base64urlEncode(deps.random.bytes(WEBAUTHN_CHALLENGE_BYTES)),
      user_verification: userVerification,
      created_at: new Date(nowMs).toISOString(),
      expires_at: new Date(nowMs + WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000).toISOString(),
    };
    tx.webauthnChallenges.put(challenge);
    const options = await deps.relyingParty.registrationOptions({
      rpId: tenant.policy.webauthn.rp_id,
      rpName: input.tenantId,
      userHandle: base64urlEncodeText(input.userId),
      userName: user.email,
      challenge: challenge.challenge,
      excludeCredentials: confirmedOf(factors, 'webauthn').map((f) => ({ id: f.credential_id, transports: f.transports })),
      userVerification,
    });
    return { kind: 'options', options };
  });
}
