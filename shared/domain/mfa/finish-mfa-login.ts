/**
 * `POST /v1/mfa/verify` (SPEC section 3; issue 5 item 4): a second factor
 * finishes a login that the password step left at `mfa_required`.
 *
 * ONE serialisable transaction, in this order:
 * 1. reads: the `mfa_token` record, the tenant, the user;
 * 2. gates: unknown, expired (deleted on sight), user gone or disabled ->
 *    401 `invalid_grant` (one answer for every unusable token); a method the
 *    token does not offer, or any method but WebAuthn for a role of
 *    `mfa.webauthn_required_for_roles` -> 403 `access_denied` with `methods`
 *    (not counted, the token stays usable);
 * 3. the factor check (`verifyTotpInTx`, `useRecoveryCodeInTx`, or the
 *    injected WebAuthn step), which counts failures against the per-token and
 *    per-user limits; a refusal commits only those counters (the token stays
 *    until it is exhausted, then it is deleted);
 * 4. on success: the token is deleted (single use: of parallel uses, one
 *    wins), a session family and an access token with `amr` = the token's
 *    methods plus `otp`, `rec` or `hwk` (and `acr` from `acrFor`) are written,
 *    and `last_login_at` is set.
 *
 * After the commit, the passed step-up marks the device and network as
 * trusted (`recordSighting`), when a risk engine is wired.
 */
import { IamError } from '../errors.ts';
import type { ClientContext, FinishLoginDeps } from '../login/finish-login.ts';
import type { MfaTokenRecord } from '../login/one-time-tokens.ts';
import type { TxRepos } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { prepareSession, writeSession } from '../sessions/start-session.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { acrFor, mintAccessToken, type Amr } from '../tokens/mint-access-token.ts';
import { hashOpaqueToken, parseOpaqueToken } from '../tokens/opaque-token.ts';
import { tokenResponse, type TokenResponse } from '../tokens/token-response.ts';
import type { MfaDeps } from './mfa-deps.ts';
import { mfaRefusalError } from './mfa-errors.ts';
import { normalizeRecoveryCode } from './recovery-codes.ts';
import type { RecordSightingDeps } from './risk/record-sighting.ts';
import { recordSighting } from './risk/record-sighting.ts';
import { isTotpCode } from './totp.ts';
import { useRecoveryCodeInTx } from './use-recovery-code.ts';
import { verifyTotpInTx } from './verify-totp.ts';

/** The second factor presented. */
export type SecondFactor =
  | { readonly method: 'totp'; readonly code: string }
  | { readonly method: 'recovery_code'; readonly recoveryCode: string }
  | { readonly method: 'webauthn'; readonly response: unknown };

/** What the WebAuthn step is told (the rest it reads itself, inside the same transaction). */
export interface WebauthnStepInput {
  readonly tenant: Tenant;
  readonly userId: string;
  readonly mfaTokenHash: string;
  readonly response: unknown;
  /** True for a role of `mfa.webauthn_required_for_roles`: user verification is required. */
  readonly userVerificationRequired: boolean;
  readonly nowMs: number;
  readonly requestId: string;
}

/** The WebAuthn check, injected by `mfa-verify` (its outcomes already mapped to client errors). */
export type WebauthnStep = (tx: TxRepos, input: WebauthnStepInput) => Promise<Result<{ readonly factorId: string }, IamError>>;

/** What {@link finishMfaLogin} needs. */
export interface FinishMfaLoginDeps extends FinishLoginDeps, Pick<MfaDeps, 'uow' | 'directory' | 'clock' | 'crypto' | 'cipher' | 'recoveryPepper'> {
  /** The WebAuthn step; without it `method: "webauthn"` answers 400 `invalid_request`. */
  readonly webauthn?: WebauthnStep;
  /** The adaptive-MFA engine: a passed step-up is recorded as trusted. */
  readonly risk?: RecordSightingDeps;
}

/** The request, validated by the handler. */
export interface FinishMfaLoginInput {
  readonly mfaToken: string;
  readonly factor: SecondFactor;
  readonly client: ClientContext;
}

/** A finished login. */
export interface MfaLoginFinished {
  readonly body: TokenResponse;
  readonly tenantId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly amr: readonly Amr[];
  /** False when the sighting could not be recorded (logged by the handler; the login stands). */
  readonly sightingRecorded: boolean;
}

const AMR_OF: Readonly<Record<SecondFactor['method'], Amr>> = { totp: 'otp', recovery_code: 'rec', webauthn: 'hwk' };

/** The answer for an unknown, expired, used or exhausted `mfa_token`. */
export function mfaTokenRefused(): IamError {
  return new IamError('invalid_grant', 'the mfa_token is not valid, has expired or was already used; log in again');
}

/** Finishes an MFA login. Refusals are values; a storage or signer outage throws. */
export async function finishMfaLogin(deps: FinishMfaLoginDeps, input: FinishMfaLoginInput): Promise<Result<MfaLoginFinished, IamError>> {
  const malformed = formError(input.factor);
  if (malformed !== undefined) return fail(malformed);
  const parsed = parseOpaqueToken(input.mfaToken, 'mfa');
  const region = parsed === undefined ? undefined : await deps.directory.regionOf(parsed.tenantId);
  if (parsed === undefined || region === undefined) return fail(mfaTokenRefused());
  const tenantId = parsed.tenantId;
  const hash = await hashOpaqueToken(input.mfaToken);

  const outcome = await deps.uow.run(region, async (tx) => {
    const record = await tx.mfaTokens.get(tenantId, hash);
    const tenant = await tx.tenants.get(tenantId);
    const user = record === undefined ? undefined : await tx.users.get(tenantId, record.user_id);
    const nowMs = deps.clock.now();
    if (record === undefined || tenant === undefined) return fail(mfaTokenRefused());
    if (Date.parse(record.expires_at) <= nowMs || user?.status !== 'active') {
      tx.mfaTokens.delete(tenantId, hash);
      return fail(mfaTokenRefused());
    }
    const hardwareOnly = user.roles.some((r) => tenant.policy.mfa.webauthn_required_for_roles.includes(r));
    const offered = hardwareOnly ? ['webauthn'] : record.methods;
    if (!offered.includes(input.factor.method)) {
      return fail(new IamError('access_denied', `this login needs one of: ${offered.join(', ')}`, { fields: { methods: [...offered] } }));
    }
    const checked = await checkFactor(tx, deps, { record, tenant, hash, factor: input.factor, hardwareOnly, nowMs, requestId: input.client.requestId });
    if (!checked.ok) return checked;
    const amr: Amr[] = [...new Set([...(record.amr as Amr[]), AMR_OF[input.factor.method]])];
    const session = await prepareSession(deps, {
      tenantId,
      userId: user.user_id,
      clientId: record.client_id,
      deviceId: record.device_id,
      userAgent: input.client.userAgent,
      maskedIp: input.client.maskedIp,
      amr,
      acr: acrFor(amr),
      policy: tenant.policy.session,
      nowMs,
      requestId: input.client.requestId,
    });
    const access = await mintAccessToken(deps, { userId: user.user_id, tenantId, roles: user.roles, amr, sessionId: session.session.session_id, nowMs });
    tx.mfaTokens.delete(tenantId, hash);
    tx.users.put({ ...user, last_login_at: new Date(nowMs).toISOString() });
    writeSession(tx, session);
    return ok({ record, amr, body: tokenResponse(access.token, session.refreshToken, session.session.session_id), sessionId: session.session.session_id });
  });
  if (!outcome.ok) return outcome;
  const { record, amr, body, sessionId } = outcome.value;
  let sightingRecorded = true;
  if (deps.risk !== undefined) {
    try {
      await recordSighting(deps.risk, { tenantId, userId: record.user_id, deviceId: record.device_id, ip: input.client.ip ?? record.ip, region });
    } catch {
      sightingRecorded = false;
    }
  }
  return ok({ body, tenantId, userId: record.user_id, sessionId, amr, sightingRecorded });
}

/** 400 `invalid_request` for a code that cannot be one, before anything is read or counted. */
function formError(factor: SecondFactor): IamError | undefined {
  if (factor.method === 'totp' && !isTotpCode(factor.code)) return mfaRefusalError({ kind: 'malformed' }, 'totp');
  if (factor.method === 'recovery_code' && normalizeRecoveryCode(factor.recoveryCode) === undefined) {
    return mfaRefusalError({ kind: 'malformed' }, 'recovery_code');
  }
  return undefined;
}

async function checkFactor(
  tx: TxRepos,
  deps: FinishMfaLoginDeps,
  c: {
    readonly record: MfaTokenRecord;
    readonly tenant: Tenant;
    readonly hash: string;
    readonly factor: SecondFactor;
    readonly hardwareOnly: boolean;
    readonly nowMs: number;
    readonly requestId: string;
  },
): Promise<Result<unknown, IamError>> {
  const base = { tenantId: c.tenant.tenant_id, userId: c.record.user_id, mfaTokenHash: c.hash, nowMs: c.nowMs };
  switch (c.factor.method) {
    case 'totp': {
      const r = await verifyTotpInTx(tx, deps, { ...base, code: c.factor.code });
      if (r.kind === 'token_exhausted') tx.mfaTokens.delete(base.tenantId, c.hash);
      return r.kind === 'verified' ? ok(r) : fail(mfaRefusalError(r, 'totp'));
    }
    case 'recovery_code': {
      const r = await useRecoveryCodeInTx(tx, deps, { ...base, code: c.factor.recoveryCode, requestId: c.requestId });
      if (r.kind === 'token_exhausted') tx.mfaTokens.delete(base.tenantId, c.hash);
      return r.kind === 'verified' ? ok(r) : fail(mfaRefusalError(r, 'recovery_code'));
    }
    case 'webauthn':
      if (deps.webauthn === undefined) return fail(new IamError('invalid_request', 'WebAuthn is not available'));
      return deps.webauthn(tx, {
        tenant: c.tenant,
        userId: c.record.user_id,
        mfaTokenHash: c.hash,
        response: c.factor.response,
        userVerificationRequired: c.hardwareOnly,
        nowMs: c.nowMs,
        requestId: c.requestId,
      });
  }
}
