/**
 * The single-use tokens of the login flows, stored only as their hash (the
 * document id), never their value: the `mfa_token` of an `mfa_required`
 * answer (5 minutes) and the magic-link token (15 minutes).
 */
import type { MfaMethod } from '../accounts/user.ts';

/** How long an `mfa_token` is valid (SPEC section 3: 5 minutes). */
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** How long a magic link is valid (issue 3: 15 minutes). */
export const MAGIC_LINK_TTL_SECONDS = 15 * 60;

/** A pending second-factor step: what the password step established. */
export interface MfaTokenRecord {
  /** base64url SHA-256 of the token string: the document id. */
  readonly token_hash: string;
  readonly tenant_id: string;
  readonly user_id: string;
  readonly client_id: string;
  readonly device_id: string | null;
  /** Methods proven so far (`['pwd']`). */
  readonly amr: readonly string[];
  /** The methods the client was offered. */
  readonly methods: readonly MfaMethod[];
  /** True when the user has no confirmed factor yet and must enrol one (the policy mandates MFA). */
  readonly enrollment_required: boolean;
  /** True when this login is a break-glass password login on an SSO tenant. */
  readonly breakglass: boolean;
  /** The client IP at the password step, masked. */
  readonly ip: string;
  readonly created_at: string;
  readonly expires_at: string;
}

/** A magic link: single use, for one user of one tenant. */
export interface MagicLinkRecord {
  /** base64url SHA-256 of the token string: the document id. */
  readonly token_hash: string;
  readonly tenant_id: string;
  readonly user_id: string;
  /** The normalised email the link was sent to (its lockout counters are cleared on redeem). */
  readonly email: string;
  readonly client_id: string;
  readonly created_at: string;
  readonly expires_at: string;
}
