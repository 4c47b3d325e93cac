/**
 * What a tenant's SSO policy allows (SPEC section 4 item 7, risk R-03).
 *
 * `sso.required` refuses password login (`sso_required`) unless
 * `sso.emergency_fallback` is `password`. With the fallback `magic_link`, only
 * magic links are allowed besides SSO. Break-glass: a `platform_admin` may
 * always log in with a password, audited and loud.
 */
import { PLATFORM_ADMIN_ROLE } from '../accounts/user.ts';
import type { TenantPolicy } from '../tenants/tenant.ts';

/** How a password login stands under the SSO policy. */
export type PasswordLoginRule = 'allowed' | 'breakglass' | 'sso_required';

/** The rule for a password login by a user with `roles` (an unknown user has none). */
export function passwordLoginRule(policy: TenantPolicy, roles: readonly string[]): PasswordLoginRule {
  if (!policy.sso.required || policy.sso.emergency_fallback === 'password') return 'allowed';
  return roles.includes(PLATFORM_ADMIN_ROLE) ? 'breakglass' : 'sso_required';
}

/** True when the tenant allows magic links: no SSO mandate, or the `magic_link` fallback. */
export function magicLinkAllowed(policy: TenantPolicy): boolean {
  return !policy.sso.required || policy.sso.emergency_fallback === 'magic_link';
}
