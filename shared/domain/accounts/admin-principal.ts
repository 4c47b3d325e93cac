/**
 * Who may administer users, and how an administrator is named in the audit log
 * (risks ). Pure: the accounts function resolves the principal
 * (a verified Bearer token, or the bootstrap credential) and the use cases ask
 * these functions.
 *
 * The rules (docs/accounts.md, "Authorisation"):
 * - A **platform** principal (the bootstrap credential, or a user holding
 *   `platform_admin`) administers every tenant.
 * - A **tenant admin** (a user holding `tenant_admin`) administers the users of
 *   the tenant its token was issued for (`tid`), and no other.
 * - The **reserved roles** `platform_admin` and `tenant_admin` are granted and
 *   removed by the platform only, and a tenant admin cannot change the roles of,
 *   or disable, a user holding one (so a tenant admin cannot lock out a fellow
 *   admin it could not reinstate). A tenant admin may read and unlock any user
 *   of its tenant.
 * - Nobody disables themselves.
 * Every refusal is `access_denied`; a tenant admin asking about another tenant
 * is refused before anything is read, so the answer says nothing about that
 * tenant or its users.
 */
import { IamError } from '../errors.ts';
import type { Actor } from '../outbox/event.ts';
import { PLATFORM_ADMIN_ROLE, TENANT_ADMIN_ROLE, type User } from './user.ts';

/** An authenticated administrator. */
export type AdminPrincipal =
  /** The bootstrap platform-admin credential (Secret Manager). */
  | { readonly kind: 'bootstrap' }
  /** A user, from a verified access token. */
  | { readonly kind: 'user'; readonly tenant_id: string; readonly user_id: string; readonly roles: readonly string[] };

/** The roles only the platform grants or removes. */
export const RESERVED_ROLES: readonly string[] = [PLATFORM_ADMIN_ROLE, TENANT_ADMIN_ROLE];

/** The audit actor of the bootstrap credential. */
export const BOOTSTRAP_ACTOR: Actor = { type: 'platform', id: 'bootstrap' };

/** True for the bootstrap credential and for platform admins. */
export function isPlatform(p: AdminPrincipal): boolean {
  return p.kind === 'bootstrap' || p.roles.includes(PLATFORM_ADMIN_ROLE);
}

/** The audit actor of a principal: `platform/bootstrap`, or `admin/<user id>`. */
export function actorOf(p: AdminPrincipal): Actor {
  return p.kind === 'bootstrap' ? BOOTSTRAP_ACTOR : { type: 'admin', id: p.user_id };
}

/** Audit details naming where a user principal comes from (its tenant, and whether it acted as the platform). */
export function actorDetails(p: AdminPrincipal): Readonly<Record<string, string | boolean>> {
  return p.kind === 'bootstrap' ? { bootstrap: true } : { actor_tenant_id: p.tenant_id, as_platform: isPlatform(p) };
}

/** May `p` administer the users of `tenantId` at all? Checked before anything is read. */
export function authorizeTenant(p: AdminPrincipal, tenantId: string): IamError | undefined {
  if (p.kind === 'bootstrap' || isPlatform(p)) return undefined;
  if (!p.roles.includes(TENANT_ADMIN_ROLE)) return new IamError('access_denied', 'administrator role required');
  if (p.tenant_id !== tenantId) return new IamError('access_denied', 'a tenant admin administers its own tenant only');
  return undefined;
}

/** May `p` change a user's roles from `before` to `after`? (Scope already checked.) */
export function authorizeRoleChange(p: AdminPrincipal, before: readonly string[], after: readonly string[]): IamError | undefined {
  if (isPlatform(p)) return undefined;
  const touched = RESERVED_ROLES.filter((r) => before.includes(r) !== after.includes(r));
  if (touched.length > 0) return new IamError('access_denied', `only the platform grants or removes ${touched.join(', ')}`);
  if (before.some((r) => RESERVED_ROLES.includes(r))) {
    return new IamError('access_denied', 'only the platform changes the roles of an administrator');
  }
  return undefined;
}

/** May `p` disable `target`? (Scope already checked.) */
export function authorizeDisable(p: AdminPrincipal, target: User): IamError | undefined {
  if (p.kind === 'user' && p.user_id === target.user_id && p.tenant_id === target.tenant_id) {
    return new IamError('access_denied', 'an administrator cannot disable itself');
  }
  if (!isPlatform(p) && target.roles.some((r) => RESERVED_ROLES.includes(r))) {
    return new IamError('access_denied', 'only the platform disables an administrator');
  }
  return undefined;
}
