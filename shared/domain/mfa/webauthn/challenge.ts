/**
 * WebAuthn challenges (W3C WebAuthn Level 3 §13.4.3): random, single use,
 * short lived, and bound to what they were issued for. A registration
 * challenge is bound to the user, a login challenge to the `mfa_token`
 * (its hash). One live challenge per binding: asking again replaces it.
 * The verify step deletes it in its own transaction, whatever the outcome,
 * so a challenge is answered at most once.
 */

/** What a challenge was issued for. */
export type ChallengePurpose = 'registration' | 'authentication';

/** How long a challenge stays answerable: 5 minutes. */
export const WEBAUTHN_CHALLENGE_TTL_SECONDS = 300;

/** The bytes of a challenge (WebAuthn §13.4.3 asks for at least 16). */
export const WEBAUTHN_CHALLENGE_BYTES = 32;

/** A stored challenge, in the tenant's region (`webauthn_challenges`). */
export interface WebAuthnChallenge {
  /** `<tenant>:<purpose>:<subject>` (see `challengeKey`): the document id. */
  readonly key: string;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly purpose: ChallengePurpose;
  /** The user id (registration) or the `mfa_token` hash (authentication). */
  readonly subject: string;
  /** base64url of the random challenge, as sent in the options. */
  readonly challenge: string;
  /** Whether the verify step requires user verification (the policy, when it was issued). */
  readonly user_verification: 'required' | 'preferred';
  readonly created_at: string;
  readonly expires_at: string;
}

/** The document id of the one live challenge of a binding. */
export function challengeKey(tenantId: string, purpose: ChallengePurpose, subject: string): string {
  return `${tenantId}:${purpose === 'registration' ? 'reg' : 'auth'}:${subject}`;
}

/** True when the challenge can no longer be answered at `nowMs`. */
export function challengeExpired(challenge: WebAuthnChallenge, nowMs: number): boolean {
  return Date.parse(challenge.expires_at) <= nowMs;
}
