/**
 * `POST /v1/login` (SPEC section 3; risks ).
 *
 * 1. A client IP of bad reputation is refused (`access_denied`) before any
 *    password work.
 * 2. The email is normalised. An unknown tenant or a malformed email does the
 *    work of one password check (`dummyVerify`) and answers `invalid_grant`.
 * 3. One transaction RESERVES the attempt on the (tenant, email, IP) lockout
 *    counter before any password is verified, or answers `account_locked`.
 *    N parallel attempts therefore verify at most `threshold` passwords.
 * 4. One password check: the user's hash, or `dummyVerify` when there is no
 *    active user with a password. Unknown, disabled, password-less and wrong
 *    all answer the same `invalid_grant`.
 * 5. SSO: on a tenant that requires SSO without the password fallback, every
 *    attempt answers `sso_required`, except a correct platform admin
 *    (break-glass). A wrong password there also answers `sso_required`, so
 *    the answer never tells which emails are platform admins.
 * 6. Adaptive MFA (when a risk engine is wired): `assessRisk` for the right
 *    password only, then `loginMfaDecision` joins its level with the policy
 *    mandates (docs/mfa.md): tokens, `mfa_required`, `mfa_enrollment_required`
 *    with an enrollment token, or `access_denied`.
 * 7. A second transaction resets the counter, rehashes an outdated hash,
 *    records `last_login_at`, and writes the session (or the `mfa_token`),
 *    the outbox events and the audit events.
 */
import { normalizeEmail } from '../accounts/normalize-email.ts';
import type { User } from '../accounts/user.ts';
import { IamError } from '../errors.ts';
import { mintEnrollmentToken } from '../mfa/enrollment-token.ts';
import { loginMfaDecision, type LoginMfaDecision } from '../mfa/login-mfa-decision.ts';
import { assessRisk } from '../mfa/risk/assess-risk.ts';
import type { RiskDeps } from '../mfa/risk/risk-deps.ts';
import type { Clock, IpReputation, PasswordHasher, TenantDirectory, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { loginSuccess, prepareLogin, unchangedSince, writeLogin, type ClientContext, type FinishLoginDeps, type LoginSuccess } from './finish-login.ts';
import { lockoutKey, reserveAttempt, UNKNOWN_IP } from './lockout.ts';
import { accountLocked, invalidGrant, ipRefused, ssoRequired } from './login-errors.ts';
import { passwordLoginRule } from './sso-policy.ts';

/** What {@link loginWithPassword} needs. */
export interface LoginWithPasswordDeps extends FinishLoginDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly ipReputation: IpReputation;
  /** The adaptive-MFA engine (`openRiskEngine`); without it the policy alone decides. */
  readonly risk?: RiskDeps;
}

/** The request, validated by the handler. */
export interface LoginWithPasswordInput {
  readonly tenantId: string;
  /** As typed by the user; normalised here. */
  readonly email: string;
  readonly password: string;
  readonly clientId: string;
  readonly deviceId: string | null;
  readonly client: ClientContext;
}

/** A user id never issued (ids are UUIDs): read for an unknown email so both paths read alike. */
const ABSENT_USER_ID = 'absent-user';

/** The key an unknown client IP is counted under (requests built without a peer). */

/** Logs in with a password. Refusals are values; a signer or storage outage throws. */
export async function loginWithPassword(
  deps: LoginWithPasswordDeps,
  input: LoginWithPasswordInput,
): Promise<Result<LoginSuccess, IamError>> {
  if (input.client.ip !== undefined && (await deps.ipReputation.reputationOf(input.client.ip)) === 'bad') {
    return fail(ipRefused());
  }
  const email = normalizeEmail(input.email);
  const region = email.kind === 'ok' ? await deps.directory.regionOf(input.tenantId) : undefined;
  if (email.kind !== 'ok' || region === undefined) return dummyRefusal(deps, input.password);

  const key = await lockoutKey(input.tenantId, email.email, input.client.ip ?? UNKNOWN_IP);
  const step = await deps.uow.run(region, async (tx) => {
    const tenant = await tx.tenants.get(input.tenantId);
    const stored = await tx.lockouts.get(key);
    const user = await tx.users.findByEmail(input.tenantId, email.email);
    // Same reads either way: finding a user reads the email index and the user.
    if (user === undefined) await tx.users.get(input.tenantId, ABSENT_USER_ID);
    if (tenant === undefined) return { kind: 'no_tenant' } as const;
    const reservation = reserveAttempt(key, stored, tenant.policy.lockout, deps.clock.now());
    if (reservation.kind === 'locked') return reservation;
    tx.lockouts.put(reservation.counter);
    return { kind: 'reserved', tenant, user, failures: reservation.counter.failures } as const;
  });
  if (step.kind === 'no_tenant') return dummyRefusal(deps, input.password);
  if (step.kind === 'locked') return fail(accountLocked(step.retryAfterSeconds));

  const { tenant, user } = step;
  const phc = user?.status === 'active' ? user.password?.phc : undefined;
  const verified = phc === undefined ? await deps.hasher.dummyVerify(input.password) : await deps.hasher.verify(phc, input.password);
  const rule = passwordLoginRule(tenant.policy, verified && user !== undefined ? user.roles : []);
  if (rule === 'sso_required') return fail(ssoRequired(tenant.policy.sso.emergency_fallback === 'magic_link'));
  if (!verified || user === undefined || phc === undefined) return fail(invalidGrant());
  const decision = await decideMfa(deps, input, { tenant, user, region, failures: step.failures });
  if (decision.kind === 'refuse') return fail(riskRefusal(decision.reason));
  return finish(deps, input, { tenant, user, phc, key, breakglass: rule === 'breakglass', region, decision });
}

/** Joins the policy mandates with the adaptive-MFA level (right password only). */
async function decideMfa(
  deps: LoginWithPasswordDeps,
  input: LoginWithPasswordInput,
  facts: { readonly tenant: Tenant; readonly user: User; readonly region: Parameters<UnitOfWork['run']>[0]; readonly failures: number },
): Promise<LoginMfaDecision> {
  const assessment =
    deps.risk === undefined
      ? undefined
      : await assessRisk(deps.risk, {
          tenantId: facts.tenant.tenant_id,
          userId: facts.user.user_id,
          deviceId: input.deviceId,
          ip: input.client.ip,
          event: 'login',
          // The reservation counted this attempt already.
          recentFailures: Math.max(0, facts.failures - 1),
          requestId: input.client.requestId,
          region: facts.region,
        });
  return loginMfaDecision(facts.user, facts.tenant.policy, assessment?.level);
}

function riskRefusal(reason: 'pending_review' | 'no_factor_for_risk'): IamError {
  return reason === 'pending_review'
    ? new IamError('access_denied', 'this sign-in is held for review; try again later')
    : new IamError('access_denied', 'this sign-in needs extra verification; sign in with a magic link', { fields: { magic_link: true } });
}

/** The same answer and the same password work as a wrong password. */
async function dummyRefusal(deps: LoginWithPasswordDeps, password: string): Promise<Result<never, IamError>> {
  await deps.hasher.dummyVerify(password);
  return fail(invalidGrant());
}

async function finish(
  deps: LoginWithPasswordDeps,
  input: LoginWithPasswordInput,
  facts: {
    readonly tenant: Tenant;
    readonly user: User;
    readonly phc: string;
    readonly key: Awaited<ReturnType<typeof lockoutKey>>;
    readonly breakglass: boolean;
    readonly region: Parameters<UnitOfWork['run']>[0];
    readonly decision: Exclude<LoginMfaDecision, { kind: 'refuse' }>;
  },
): Promise<Result<LoginSuccess, IamError>> {
  const { tenant, user, phc, key } = facts;
  // SPEC 4.1: rehash on login when the parameters changed (this also unwraps a wrapped hash).
  const rehashed = deps.hasher.needsRehash(phc) ? await deps.hasher.hash(input.password) : undefined;
  const nowMs = deps.clock.now();
  let prepared: Awaited<ReturnType<typeof prepareLogin>>;
  try {
    prepared = await prepareLogin(deps, {
      tenant,
      user,
      clientId: input.clientId,
      deviceId: input.deviceId,
      client: input.client,
      amr: ['pwd'],
      breakglass: facts.breakglass,
      nowMs,
      requirement: facts.decision.kind === 'none' ? null : { methods: facts.decision.methods, enrollmentRequired: facts.decision.kind === 'enroll' },
    });
  } catch (e) {
    // The password was right but no token could be made (e.g. both signing
    // keys down: 503). Give the reserved attempt back, as a success would, so
    // a user retrying through an outage is never locked out by it.
    await deps.uow.run(facts.region, async (tx) => tx.lockouts.reset(key)).catch(() => undefined);
    throw e;
  }
  const now = new Date(nowMs).toISOString();
  const enroll = facts.decision.kind === 'enroll';
  const committed = await deps.uow.run(facts.region, async (tx) => {
    const current = await tx.users.get(tenant.tenant_id, user.user_id);
    // Disabled, re-keyed or re-roled meanwhile: decide again from scratch.
    if (!unchangedSince(user, current)) return false;
    tx.lockouts.reset(key);
    const password = current.password;
    tx.users.put({
      ...current,
      password: rehashed === undefined || password === null ? password : { ...password, phc: rehashed, hash_version: deps.hasher.version },
      last_login_at: prepared.kind === 'tokens' ? now : current.last_login_at,
    });
    // An enrolment leads to an enrollment token, not to an mfa_token nobody could pass.
    if (!enroll) writeLogin(tx, prepared);
    return true;
  });
  if (!committed) return fail(invalidGrant());
  if (facts.decision.kind === 'enroll') return fail(await enrollmentRequired(deps, tenant.tenant_id, user.user_id, facts.decision.methods, nowMs));
  return ok(loginSuccess(prepared));
}

/** 403 `mfa_enrollment_required` with a token limited to enrolment (`enrollment-token.ts`). */
async function enrollmentRequired(deps: LoginWithPasswordDeps, tenantId: string, userId: string, methods: readonly string[], nowMs: number): Promise<IamError> {
  const token = await mintEnrollmentToken(deps, { tenantId, userId, amr: ['pwd'], nowMs });
  return new IamError('mfa_enrollment_required', 'the policy requires a second factor: enrol one, then log in again', {
    fields: { enrollment_token: token.token, expires_in: token.expiresIn, methods: [...methods] },
  });
}
