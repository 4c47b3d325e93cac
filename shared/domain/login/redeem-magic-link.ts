/**
 * `POST /v1/magic-link/redeem` `{token}`: the login token body with
 * `amr: ["email"]` (or `mfa_required` for a user with a factor, or 403
 * `mfa_enrollment_required` with an enrollment token when the policy mandates
 * a factor the user has not enrolled, exactly as a password login), the link
 * consumed once, and the account RECOVERED: every lockout counter of its
 * email is cleared (SPEC section 4 item 1). The tenant's SSO policy is checked
 * again at redemption: it may have changed since the link was sent.
 */
import { IamError } from '../errors.ts';
import { mintEnrollmentToken } from '../mfa/enrollment-token.ts';
import type { Clock, TenantDirectory, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { hashOpaqueToken, parseOpaqueToken } from '../tokens/opaque-token.ts';
import { loginSuccess, mfaRequirement, prepareLogin, unchangedSince, writeLogin, type ClientContext, type FinishLoginDeps, type LoginSuccess } from './finish-login.ts';
import { lockoutEmailHash } from './lockout.ts';
import { invalidGrant, ssoRequired } from './login-errors.ts';
import { magicLinkAllowed } from './sso-policy.ts';

/** What {@link redeemMagicLink} needs. */
export interface RedeemMagicLinkDeps extends FinishLoginDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
}

/** The request, validated by the handler. */
export interface RedeemMagicLinkInput {
  readonly token: string;
  readonly client: ClientContext;
}

/** A redeemed link: the login outcome, its tenant, and how many lockout counters it cleared. */
export type RedeemedMagicLink = LoginSuccess & { readonly tenantId: string; readonly clearedLockouts: number };

/** Redeems a magic link. Every unusable token answers the same `invalid_grant`. */
export async function redeemMagicLink(deps: RedeemMagicLinkDeps, input: RedeemMagicLinkInput): Promise<Result<RedeemedMagicLink, IamError>> {
  const parsed = parseOpaqueToken(input.token, 'ml');
  const region = parsed === undefined ? undefined : await deps.directory.regionOf(parsed.tenantId);
  if (parsed === undefined || region === undefined) return fail(invalidGrant());
  const { tenantId } = parsed;
  const hash = await hashOpaqueToken(input.token);

  const found = await deps.uow.run(region, async (tx) => {
    const link = await tx.magicLinks.get(tenantId, hash);
    const tenant = await tx.tenants.get(tenantId);
    const user = link === undefined ? undefined : await tx.users.get(tenantId, link.user_id);
    const usable = link !== undefined && Date.parse(link.expires_at) > deps.clock.now() && user?.status === 'active';
    // An expired link, or one whose user is gone or disabled, is spent on sight.
    if (link !== undefined && !usable) tx.magicLinks.delete(tenantId, hash);
    return usable && tenant !== undefined && user !== undefined ? { link, tenant, user } : undefined;
  });
  if (found === undefined) return fail(invalidGrant());
  const { link, tenant, user } = found;
  if (!magicLinkAllowed(tenant.policy)) return fail(ssoRequired(false));

  const emailHash = await lockoutEmailHash(user.email);
  const nowMs = deps.clock.now();
  // A mandate the user has not met: no mfa_token nobody could pass, but an
  // enrollment token, as for a password login (docs/mfa.md).
  const requirement = mfaRequirement(user, tenant.policy);
  const enroll = requirement?.enrollmentRequired === true;
  const prepared = await prepareLogin(deps, {
    tenant,
    user,
    clientId: link.client_id,
    deviceId: null,
    client: input.client,
    amr: ['email'],
    breakglass: false,
    nowMs,
  });
  const cleared = await deps.uow.run(region, async (tx) => {
    // Single use: of parallel redemptions, only the one that still finds the link wins.
    const still = await tx.magicLinks.get(tenantId, hash);
    const current = await tx.users.get(tenantId, user.user_id);
    if (still === undefined || !unchangedSince(user, current)) return undefined;
    const count = await tx.lockouts.clearAccount(tenantId, emailHash);
    tx.magicLinks.delete(tenantId, hash);
    if (enroll) return count;
    if (prepared.kind === 'tokens') tx.users.put({ ...current, last_login_at: new Date(nowMs).toISOString() });
    writeLogin(tx, prepared);
    return count;
  });
  if (cleared === undefined) return fail(invalidGrant());
  if (enroll) {
    const token = await mintEnrollmentToken(deps, { tenantId, userId: user.user_id, amr: ['email'], nowMs });
    return fail(
      new IamError('mfa_enrollment_required', 'the policy requires a second factor: enrol one, then log in again', {
        fields: { enrollment_token: token.token, expires_in: token.expiresIn, methods: [...(requirement?.methods ?? [])] },
      }),
    );
  }
  return ok({ ...loginSuccess(prepared), tenantId, clearedLockouts: cleared });
}
