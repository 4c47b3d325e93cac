/**
 * The routes of the `accounts` function (SPEC section 3), framework-free so
 * tests call them directly. Each handler: authenticate, validate (valibot),
 * call one use case, map its result. Refusals render as the error envelope.
 */
import { clientIp, type TrustedProxies } from '../../shared/http/client-ip.ts';
import type * as v from 'valibot';
import type { AdminPrincipal } from '../../shared/domain/accounts/admin-principal.ts';
import { changePassword } from '../../shared/domain/accounts/change-password.ts';
import { changeRoles } from '../../shared/domain/accounts/change-roles.ts';
import { createUser, type CreateUserDeps } from '../../shared/domain/accounts/create-user.ts';
import { disableUser } from '../../shared/domain/accounts/disable-user.ts';
import { getTenantPolicy } from '../../shared/domain/accounts/get-tenant-policy.ts';
import { getUser } from '../../shared/domain/accounts/get-user.ts';
import { unlockUser } from '../../shared/domain/accounts/unlock-user.ts';
import type { IamError } from '../../shared/domain/errors.ts';
import type { Result } from '../../shared/domain/result.ts';
import type { AccessTokenClaims } from '../../shared/http/bearer.ts';
import { readBody, validate } from '../../shared/http/parse-body.ts';
import type { Route } from '../../shared/http/router.ts';
import type { HttpRequest, HttpResponse } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';
import { ChangePasswordBody, ChangeRolesBody, CreateUserBody, EmptyBody, TenantParam, UserParams } from './schemas.ts';

/** What the accounts routes need. */
export interface AccountsRouteDeps extends CreateUserDeps {
  /** Resolves the administrator (bootstrap credential or Bearer), or throws `invalid_token`. */
  readonly principal: (req: HttpRequest) => Promise<AdminPrincipal>;
  /** Verifies a Bearer access token, or throws `invalid_token`. */
  readonly bearer: (req: HttpRequest) => Promise<AccessTokenClaims>;
  /** Whose `X-Forwarded-For` hops to trust for the client IP (the password change's lockout counter). */
  readonly trustedProxies: TrustedProxies;
  readonly log: Logger;
}

/** Admin data is personal data: never cached anywhere. */
const NO_STORE = { 'cache-control': 'no-store' };

function answer<T>(result: Result<T, IamError>, status: number, body: (value: T) => unknown): HttpResponse {
  if (!result.ok) throw result.error;
  return { status, headers: NO_STORE, body: body(result.value) };
}

/** A body that may be absent: no bytes is the same as `{}`. */
function optionalBody<S extends v.GenericSchema>(req: HttpRequest, schema: S): v.InferOutput<S> {
  return validate(schema, req.rawBody.length === 0 ? {} : readBody(req, ['json']));
}

/** Authenticates, then validates the path: an anonymous caller learns nothing about the path. */
async function admin<S extends v.GenericSchema>(deps: AccountsRouteDeps, req: HttpRequest, params: S) {
  const principal = await deps.principal(req);
  return { principal, params: validate(params, req.params) as v.InferOutput<S>, requestId: req.requestId };
}

/** Every route of the accounts function. */
export function accountsRoutes(deps: AccountsRouteDeps): Route[] {
  const base = '/v1/admin/tenants/:tenant_id';
  return [
    {
      method: 'POST',
      path: `${base}/users`,
      handler: async (req) => {
        const { principal, params, requestId } = await admin(deps, req, TenantParam);
        const body = validate(CreateUserBody, readBody(req, ['json']));
        const r = await createUser(deps, { principal, tenantId: params.tenant_id, requestId, email: body.email, roles: body.roles, password: body.password });
        if (r.ok) deps.log.info('user created', { request_id: requestId, tenant_id: params.tenant_id, user_id: r.value.user.user_id, breach_check: r.value.breachCheck });
        return answer(r, 201, (o) => ({ user_id: o.user.user_id }));
      },
    },
    {
      method: 'GET',
      path: `${base}/users/:user_id`,
      handler: async (req) => {
        const { principal, params, requestId } = await admin(deps, req, UserParams);
        return answer(await getUser(deps, { principal, tenantId: params.tenant_id, userId: params.user_id, requestId }), 200, (view) => view);
      },
    },
    {
      method: 'PUT',
      path: `${base}/users/:user_id/roles`,
      handler: async (req) => {
        const { principal, params, requestId } = await admin(deps, req, UserParams);
        const body = validate(ChangeRolesBody, readBody(req, ['json']));
        const r = await changeRoles(deps, { principal, tenantId: params.tenant_id, userId: params.user_id, requestId, roles: body.roles });
        return answer(r, 200, (o) => ({ user_id: o.user.user_id, roles: o.user.roles, changed: o.changed }));
      },
    },
    {
      method: 'POST',
      path: `${base}/users/:user_id/unlock`,
      handler: async (req) => {
        const { principal, params, requestId } = await admin(deps, req, UserParams);
        optionalBody(req, EmptyBody);
        const r = await unlockUser(deps, { principal, tenantId: params.tenant_id, userId: params.user_id, requestId });
        return answer(r, 200, (o) => ({ user_id: params.user_id, cleared_counters: o.cleared }));
      },
    },
    {
      method: 'POST',
      path: `${base}/users/:user_id/disable`,
      handler: async (req) => {
        const { principal, params, requestId } = await admin(deps, req, UserParams);
        optionalBody(req, EmptyBody);
        const r = await disableUser(deps, { principal, tenantId: params.tenant_id, userId: params.user_id, requestId });
        return answer(r, 200, (o) => ({ user_id: o.user.user_id, status: o.user.status, changed: o.changed, revoked_sessions: o.revokedSessions }));
      },
    },
    {
      method: 'GET',
      path: `${base}/policy`,
      handler: async (req) => {
        const { principal, params, requestId } = await admin(deps, req, TenantParam);
        return answer(await getTenantPolicy(deps, { principal, tenantId: params.tenant_id, requestId }), 200, (view) => view);
      },
    },
    {
      method: 'POST',
      path: '/v1/me/password',
      handler: async (req) => {
        const claims = await deps.bearer(req);
        const body = validate(ChangePasswordBody, readBody(req, ['json']));
        const r = await changePassword(deps, {
          tenantId: claims.tid,
          userId: claims.sub,
          currentPassword: body.current_password,
          newPassword: body.new_password,
          clientIp: clientIp(req, deps.trustedProxies),
          requestId: req.requestId,
        });
        if (r.ok) deps.log.info('password changed', { request_id: req.requestId, tenant_id: claims.tid, user_id: claims.sub, breach_check: r.value.breachCheck });
        if (!r.ok) throw r.error;
        return { status: 204, headers: NO_STORE };
      },
    },
  ];
}
