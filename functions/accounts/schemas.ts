/** The request bodies and path parameters of the accounts routes (valibot, strict). */
import * as v from 'valibot';
import { TenantIdSchema } from '../../shared/domain/tenants/tenant.ts';

/** A role name, as in the `roles` claim. */
const Role = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'a role is a lower-case name of at most 64 characters'));
/** A set of roles: no duplicates, at most 64. */
const Roles = v.pipe(
  v.array(Role),
  v.maxLength(64),
  v.check((roles) => new Set(roles).size === roles.length, 'roles must not repeat'),
);
/**
 * A password as sent. The 1024-byte rule is the use case's (it answers
 * `weak_password`); this bound only stops absurd inputs before any work.
 */
const Password = v.pipe(v.string(), v.maxLength(4096));

/** `POST /v1/admin/tenants/{tenant_id}/users`. */
export const CreateUserBody = v.strictObject({
  email: v.pipe(v.string(), v.maxLength(320)),
  roles: Roles,
  password: v.optional(Password),
});

/** `PUT /v1/admin/tenants/{tenant_id}/users/{user_id}/roles`. */
export const ChangeRolesBody = v.strictObject({ roles: Roles });

/** `POST …/unlock` and `POST …/disable`: no body, or `{}`. */
export const EmptyBody = v.strictObject({});

/** `POST /v1/me/password`. */
export const ChangePasswordBody = v.strictObject({
  current_password: v.pipe(Password, v.minLength(1)),
  new_password: Password,
});

/** `{tenant_id}` of an admin path. */
export const TenantParam = v.strictObject({ tenant_id: TenantIdSchema });
/** `{tenant_id}` and `{user_id}` of an admin path. */
export const UserParams = v.strictObject({ tenant_id: TenantIdSchema, user_id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,128}$/)) });
