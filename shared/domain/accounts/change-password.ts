/**
 * A signed-in user changes their password (`POST /v1/me/password`): the
 * current password must verify; the new one passes the SP 800-63B rules and
 * the breach check (failing open), and is hashed with the current parameters.
 * One transaction writes the credential, `iam.user.password_changed.v1` and the
 * audit event, whose actor is the user.
 *
 * The current password is checked under the login's lockout (risk R-09): the
 * attempt is reserved on the same (account, client IP) counter before the
 * verify, so a stolen access token is no unlimited password-guessing oracle,
 * and a success resets that counter as a successful login does.
 */
import { IamError } from '../errors.ts';
import { lockoutKey, reserveAttempt, UNKNOWN_IP } from '../login/lockout.ts';
import { accountLocked } from '../login/login-errors.ts';
import { fail, ok, type Result } from '../result.ts';
import { isoNow, tenantRegion, type AccountDeps } from './account-deps.ts';
import { preparePassword, type PreparePasswordDeps } from './prepare-password.ts';
import { recordUserChange } from './user-events.ts';
import type { User } from './user.ts';

/** What {@link changePassword} needs. */
export type ChangePasswordDeps = AccountDeps & PreparePasswordDeps;

/** The change, for the user of a verified access token. */
export interface ChangePasswordInput {
  /** `tid` of the access token. */
  readonly tenantId: string;
  /** `sub` of the access token. */
  readonly userId: string;
  readonly currentPassword: string;
  readonly newPassword: string;
  /** The client IP (`shared/http/client-ip.ts`), for the lockout counter; undefined when unknown. */
  readonly clientIp: string | undefined;
  readonly requestId: string | null;
}

/** What happened. */
export interface ChangePasswordOutcome {
  readonly breachCheck: 'clean' | 'unknown';
  readonly hashVersion: number;
}

/**
 * Changes the password. Refusals: `invalid_token` (the user is gone or
 * disabled), `invalid_request` (no password to change), `invalid_grant` (the
 * current password is wrong), `weak_password`, `breached_password`, `conflict`
 * (the password changed meanwhile).
 */
export async function changePassword(deps: ChangePasswordDeps, input: ChangePasswordInput): Promise<Result<ChangePasswordOutcome, IamError>> {
  const region = await tenantRegion(deps, input.tenantId);
  if (!region.ok) return fail(gone());
  const step = await deps.uow.run(region.value, async (tx) => {
    const [tenant, user] = await Promise.all([tx.tenants.get(input.tenantId), tx.users.get(input.tenantId, input.userId)]);
    if (tenant === undefined || user === undefined || user.status !== 'active') return { kind: 'gone' } as const;
    if (user.password === null) return { kind: 'no_password' } as const;
    const key = await lockoutKey(input.tenantId, user.email, input.clientIp ?? UNKNOWN_IP);
    const reservation = reserveAttempt(key, await tx.lockouts.get(key), tenant.policy.lockout, deps.clock.now());
    if (reservation.kind === 'locked') return reservation;
    tx.lockouts.put(reservation.counter);
    return { kind: 'reserved', key, phc: user.password.phc } as const;
  });
  if (step.kind === 'gone') return fail(gone());
  if (step.kind === 'no_password') return fail(new IamError('invalid_request', 'the account has no password to change'));
  if (step.kind === 'locked') return fail(accountLocked(step.retryAfterSeconds));
  const verifiedPhc = step.phc;
  if (!(await deps.hasher.verify(verifiedPhc, input.currentPassword))) {
    return fail(new IamError('invalid_grant', 'the current password is wrong'));
  }
  const now = isoNow(deps);
  const prepared = await preparePassword(deps, input.newPassword, now);
  if (!prepared.ok) {
    // The current password was right: this attempt is no failure.
    await deps.uow.run(region.value, async (tx) => tx.lockouts.reset(step.key));
    return prepared;
  }
  const { credential, breachCheck } = prepared.value;
  return deps.uow.run(region.value, async (tx) => {
    const fresh = await tx.users.get(input.tenantId, input.userId);
    if (fresh === undefined || fresh.status !== 'active') return fail(gone());
    // Compare-and-set: the password we verified must still be the stored one.
    if (fresh.password?.phc !== verifiedPhc) return fail(new IamError('conflict', 'the password was changed meanwhile; try again'));
    const changed: User = { ...fresh, password: credential, updated_at: now };
    tx.lockouts.reset(step.key);
    tx.users.put(changed);
    recordUserChange(tx, deps.random, {
      tenantId: input.tenantId,
      userId: input.userId,
      type: 'iam.user.password_changed.v1',
      data: {},
      action: 'user.password_changed',
      actor: { type: 'user', id: input.userId },
      requestId: input.requestId,
      details: { breach_check: breachCheck, hash_version: credential.hash_version },
      at: now,
    });
    return ok({ breachCheck, hashVersion: credential.hash_version });
  });
}

function gone(): IamError {
  return new IamError('invalid_token', 'the user of the access token is no longer active');
}
