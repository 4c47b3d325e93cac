/**
 * User verification (WebAuthn §6.2.3, the UV flag) by tenant policy: where
 * `mfa.webauthn_required_for_roles` names one of the user's roles, the
 * authenticator must verify the user (PIN or biometrics), otherwise it is
 * only preferred.
 */
import type { TenantPolicy } from '../../tenants/tenant.ts';

/** `required` when the policy demands hardware MFA for one of `roles`, else `preferred`. */
export function userVerificationFor(policy: Pick<TenantPolicy, 'mfa'>, roles: readonly string[]): 'required' | 'preferred' {
  return roles.some((r) => policy.mfa.webauthn_required_for_roles.includes(r)) ? 'required' : 'preferred';
}
