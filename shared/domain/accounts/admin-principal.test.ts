import { describe, expect, it } from 'vitest';
import { actorOf, authorizeDisable, authorizeRoleChange, authorizeTenant, isPlatform, type AdminPrincipal } from './admin-principal.ts';
import type { User } from './user.ts';

const bootstrap: AdminPrincipal = { kind: 'bootstrap' };
const platform: AdminPrincipal = { kind: 'user', tenant_id: 'platform', user_id: 'p1', roles: ['platform_admin'] };
const acmeAdmin: AdminPrincipal = { kind: 'user', tenant_id: 'acme', user_id: 'a1', roles: ['tenant_admin'] };
const acmeMember: AdminPrincipal = { kind: 'user', tenant_id: 'acme', user_id: 'm1', roles: ['member', 'billing'] };

const target = (roles: string[], userId = 'u1', tenantId = 'acme') => ({ user_id: userId, tenant_id: tenantId, roles }) as unknown as User;

describe('admin authorisation', () => {
  it('names actors: the bootstrap credential as the platform, users as admins', () => {
    expect(actorOf(bootstrap)).toEqual({ type: 'platform', id: 'bootstrap' });
    expect(actorOf(acmeAdmin)).toEqual({ type: 'admin', id: 'a1' });
    expect([bootstrap, platform, acmeAdmin, acmeMember].map(isPlatform)).toEqual([true, true, false, false]);
  });

  it('scopes tenant admins to their own tenant; the platform to every tenant; members to none', () => {
    expect(authorizeTenant(bootstrap, 'any')).toBeUndefined();
    expect(authorizeTenant(platform, 'acme')).toBeUndefined();
    expect(authorizeTenant(acmeAdmin, 'acme')).toBeUndefined();
    expect(authorizeTenant(acmeAdmin, 'globex')?.code).toBe('access_denied');
    expect(authorizeTenant(acmeMember, 'acme')?.code).toBe('access_denied');
  });

  it('keeps reserved roles to the platform', () => {
    expect(authorizeRoleChange(acmeAdmin, ['member'], ['member', 'billing'])).toBeUndefined();
    expect(authorizeRoleChange(acmeAdmin, ['member'], ['tenant_admin'])?.code).toBe('access_denied');
    expect(authorizeRoleChange(acmeAdmin, ['member'], ['platform_admin'])?.code).toBe('access_denied');
    expect(authorizeRoleChange(acmeAdmin, ['tenant_admin'], [])?.code).toBe('access_denied');
    expect(authorizeRoleChange(acmeAdmin, ['tenant_admin', 'x'], ['tenant_admin'])?.code).toBe('access_denied');
    expect(authorizeRoleChange(platform, ['member'], ['tenant_admin', 'platform_admin'])).toBeUndefined();
    expect(authorizeRoleChange(bootstrap, ['platform_admin'], [])).toBeUndefined();
  });

  it('refuses disabling oneself, and a tenant admin disabling an administrator', () => {
    expect(authorizeDisable(acmeAdmin, target(['member']))).toBeUndefined();
    expect(authorizeDisable(acmeAdmin, target(['tenant_admin']))?.code).toBe('access_denied');
    expect(authorizeDisable(acmeAdmin, target(['tenant_admin'], 'a1'))?.code).toBe('access_denied');
    // Same id in another tenant is another user.
    expect(authorizeDisable(platform, target(['member'], 'p1', 'acme'))).toBeUndefined();
    expect(authorizeDisable(platform, target(['platform_admin'], 'p1', 'platform'))?.code).toBe('access_denied');
    expect(authorizeDisable(bootstrap, target(['platform_admin']))).toBeUndefined();
  });
});
