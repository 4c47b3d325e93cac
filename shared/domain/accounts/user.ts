import type { Actor } from '../outbox/event.ts';

/** The second factors a user can have confirmed. */
export type MfaMethod = 'totp' | 'webauthn' | 'recovery_code';

/** A user's password credential: an Argon2id PHC string and the parameter version it was made with. */
export interface PasswordCredential {
  readonly phc: string;
  /** The hasher version (`PasswordHasher.version`) that produced `phc`; the rehash job queries on it. */
  readonly hash_version: number;
  readonly changed_at: string;
}

/**
 * A user of one tenant, stored in the tenant's region. `email` is the
 * normalised address (see `normalize-email.ts`); `user_id` is opaque and is
 * the `sub` claim.
 */
export interface User {
  readonly user_id: string;
  readonly tenant_id: string;
  readonly email: string;
  readonly roles: readonly string[];
  readonly status: 'active' | 'disabled';
  readonly password: PasswordCredential | null;
  /** Confirmed second factors; any entry makes login answer `mfa_required`. */
  readonly mfa_methods: readonly MfaMethod[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly created_by: Actor;
  readonly last_login_at: string | null;
}

/** The reserved role of platform administrators (break-glass login, bootstrap). */
export const PLATFORM_ADMIN_ROLE = 'platform_admin';
/** The role that administers users of its own tenant. */
export const TENANT_ADMIN_ROLE = 'tenant_admin';
