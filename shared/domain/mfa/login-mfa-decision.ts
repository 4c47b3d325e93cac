/**
 * What a password login with the right password needs next, from the policy
 * mandates and the adaptive-MFA risk level (issue 5 items 5 and 6;
 * docs/mfa.md, "Mandates and adaptive MFA at login"). Pure.
 *
 * | situation | decision |
 * |---|---|
 * | level `deny_pending_review` | refuse (403 `access_denied`; the review queue holds the item) |
 * | a mandate (`required_for_roles`, `webauthn_required_for_roles`) the user's factors do not meet | `enroll`: 403 `mfa_enrollment_required` with an enrollment token |
 * | the user has a factor (or a mandate met) | `mfa` with the user's methods (WebAuthn only for `webauthn_required_for_roles`) |
 * | `hardware_step_up` and the user has WebAuthn | `mfa` with `["webauthn"]` |
 * | no factor, no mandate, level `step_up` | `none`: tokens; the assessment is already audited (rules hit, level) |
 * | no factor, no mandate, level `hardware_step_up` | refuse: 403 `access_denied`, "sign in with a magic link" |
 *
 * The risk engine can only add a requirement: `allow` leaves the policy's
 * answer untouched, a higher level never removes a mandate.
 */
import type { MfaMethod, User } from '../accounts/user.ts';
import { mfaRequirement } from '../login/finish-login.ts';
import type { TenantPolicy } from '../tenants/tenant.ts';
import type { RiskLevel } from './risk/risk-level.ts';

/** The decision. */
export type LoginMfaDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'mfa'; readonly methods: readonly MfaMethod[] }
  | { readonly kind: 'enroll'; readonly methods: readonly MfaMethod[] }
  | { readonly kind: 'refuse'; readonly reason: 'pending_review' | 'no_factor_for_risk' };

/** Decides; `level` is undefined when no risk engine is wired (policy alone). */
export function loginMfaDecision(user: Pick<User, 'roles' | 'mfa_methods'>, policy: TenantPolicy, level: RiskLevel | undefined): LoginMfaDecision {
  if (level === 'deny_pending_review') return { kind: 'refuse', reason: 'pending_review' };
  const base = mfaRequirement(user, policy);
  if (base?.enrollmentRequired === true) return { kind: 'enroll', methods: base.methods };
  if (base === undefined) {
    return level === 'hardware_step_up' ? { kind: 'refuse', reason: 'no_factor_for_risk' } : { kind: 'none' };
  }
  if (level === 'hardware_step_up' && base.methods.includes('webauthn')) return { kind: 'mfa', methods: ['webauthn'] };
  return { kind: 'mfa', methods: base.methods };
}
