/**
 * The TOTP, recovery-code and verify routes of `mfa-verify` (docs/api.md,
 * docs/mfa.md). Thin: parse, authenticate, call the use case, map the outcome.
 *
 * - `POST /v1/mfa/totp/enroll` (Bearer or enrollment token) -> `{secret, otpauth_uri, factor_id, expires_at}`
 * - `POST /v1/mfa/totp/confirm` `{code, factor_id?}` (Bearer or enrollment token) -> `{factor_id, methods}`
 * - `POST /v1/mfa/recovery-codes` (Bearer) -> `{codes}` once; the old set stops working
 * - `POST /v1/mfa/verify` `{mfa_token, method, code | recovery_code | response}` -> the login token body
 *
 * Enrolling, and generating recovery codes, for a user who already has a
 * confirmed TOTP or WebAuthn factor needs a token proving a second factor
 * within the last 5 minutes (`mayChangeFactors`); otherwise 403
 * `access_denied` with `reason: "recent_mfa_required"`.
 */
import * as v from 'valibot';
import { IamError } from '../../shared/domain/errors.ts';
import type { FinishLoginDeps } from '../../shared/domain/login/finish-login.ts';
import { confirmTotp } from '../../shared/domain/mfa/confirm-totp.ts';
import { enrollTotp } from '../../shared/domain/mfa/enroll-totp.ts';
import { mayChangeFactors, RECENT_MFA_SECONDS } from '../../shared/domain/mfa/enrollment-token.ts';
import { finishMfaLogin, type SecondFactor, type WebauthnStep } from '../../shared/domain/mfa/finish-mfa-login.ts';
import { generateRecoveryCodes } from '../../shared/domain/mfa/generate-recovery-codes.ts';
import { mfaRefusalError } from '../../shared/domain/mfa/mfa-errors.ts';
import type { RecordSightingDeps } from '../../shared/domain/mfa/risk/record-sighting.ts';
import { fail, ok } from '../../shared/domain/result.ts';
import type { AccessTokenClaims } from '../../shared/http/bearer.ts';
import type { TrustedProxies } from '../../shared/http/client-ip.ts';
import { parseBody, readBody, validate } from '../../shared/http/parse-body.ts';
import type { Route } from '../../shared/http/router.ts';
import type { Handler, HttpRequest } from '../../shared/http/types.ts';
import { clientContext, NO_STORE } from '../token/login.ts';
import { verifyWebauthnInTx, webauthnRefusalError, type WebauthnRouteDeps } from './webauthn-routes.ts';

/** What the MFA routes need (a superset of the WebAuthn routes' deps). */
export interface MfaRouteDeps extends WebauthnRouteDeps, Pick<FinishLoginDeps, 'keyRing' | 'issuer' | 'audience'> {
  readonly trustedProxies: TrustedProxies;
  /** The `issuer` label of `otpauth://` URIs (what authenticator apps show). */
  readonly totpIssuer: string;
  /** The adaptive-MFA engine: a passed step-up records the device and network as trusted. */
  readonly risk?: RecordSightingDeps;
}

/** The paths. */
export const MFA_PATHS = {
  totpEnroll: '/v1/mfa/totp/enroll',
  totpConfirm: '/v1/mfa/totp/confirm',
  recoveryCodes: '/v1/mfa/recovery-codes',
  verify: '/v1/mfa/verify',
} as const;

const Code = v.pipe(v.string(), v.maxLength(64));
const ConfirmBody = v.strictObject({ code: Code, factor_id: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))) });
const MfaToken = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
const VerifyBody = v.variant('method', [
  v.strictObject({ mfa_token: MfaToken, method: v.literal('totp'), code: Code }),
  v.strictObject({ mfa_token: MfaToken, method: v.literal('recovery_code'), recovery_code: Code }),
  v.strictObject({ mfa_token: MfaToken, method: v.literal('webauthn'), response: v.looseObject({}) }),
]);
const EmptyBody = v.strictObject({});

/** A body that may be absent: no bytes is the same as `{}`. */
function noBody(req: HttpRequest): void {
  validate(EmptyBody, req.rawBody.length === 0 ? {} : readBody(req, ['json']));
}

const actorOf = (claims: AccessTokenClaims): { readonly type: 'user'; readonly id: string } => ({ type: 'user', id: claims.sub });

/** 403 unless the caller may add or replace a factor (see the module comment). */
async function requireMayChangeFactors(deps: MfaRouteDeps, claims: AccessTokenClaims): Promise<void> {
  const region = await deps.mfa.directory.regionOf(claims.tid);
  const user = region === undefined ? undefined : await deps.mfa.uow.run(region, (tx) => tx.users.get(claims.tid, claims.sub));
  if (user?.status !== 'active') throw mfaRefusalError({ kind: 'user_not_found' });
  if (!mayChangeFactors(user, claims, deps.mfa.clock.now())) {
    throw new IamError('access_denied', `changing second factors needs a second factor passed within ${RECENT_MFA_SECONDS} s: log in again with MFA`, {
      fields: { reason: 'recent_mfa_required' },
    });
  }
}

/** `POST /v1/mfa/totp/enroll`. */
export function totpEnrollHandler(deps: MfaRouteDeps): Handler {
  return async (req) => {
    const claims = await deps.verifyBearer(req, { allowEnrollment: true });
    noBody(req);
    await requireMayChangeFactors(deps, claims);
    const r = await enrollTotp(deps.mfa, { tenantId: claims.tid, userId: claims.sub, issuer: deps.totpIssuer, actor: actorOf(claims), requestId: req.requestId });
    if (r.kind !== 'enrolled') throw mfaRefusalError(r);
    deps.log.info('totp enrolment started', { tenant_id: claims.tid, user_id: claims.sub, factor_id: r.factorId });
    return { status: 200, headers: NO_STORE, body: { secret: r.secret, otpauth_uri: r.otpauthUri, factor_id: r.factorId, expires_at: r.expiresAt } };
  };
}

/** `POST /v1/mfa/totp/confirm`. */
export function totpConfirmHandler(deps: MfaRouteDeps): Handler {
  return async (req) => {
    const claims = await deps.verifyBearer(req, { allowEnrollment: true });
    const body = parseBody(req, ConfirmBody);
    const r = await confirmTotp(deps.mfa, {
      tenantId: claims.tid,
      userId: claims.sub,
      code: body.code,
      ...(body.factor_id === undefined ? {} : { factorId: body.factor_id }),
      actor: actorOf(claims),
      requestId: req.requestId,
    });
    if (r.kind !== 'confirmed') {
      deps.log.info('totp confirmation refused', { tenant_id: claims.tid, user_id: claims.sub, outcome: r.kind });
      throw mfaRefusalError(r);
    }
    deps.log.info('totp factor confirmed', { tenant_id: claims.tid, user_id: claims.sub, factor_id: r.factorId });
    return { status: 200, headers: NO_STORE, body: { factor_id: r.factorId, methods: [...r.methods] } };
  };
}

/** `POST /v1/mfa/recovery-codes`. */
export function recoveryCodesHandler(deps: MfaRouteDeps): Handler {
  return async (req) => {
    const claims = await deps.verifyBearer(req);
    noBody(req);
    await requireMayChangeFactors(deps, claims);
    const r = await generateRecoveryCodes(deps.mfa, { tenantId: claims.tid, userId: claims.sub, actor: actorOf(claims), requestId: req.requestId });
    if (r.kind !== 'generated') throw mfaRefusalError(r);
    deps.log.info('recovery codes generated', { tenant_id: claims.tid, user_id: claims.sub, set_id: r.setId });
    return { status: 200, headers: NO_STORE, body: { codes: [...r.codes] } };
  };
}

/** The WebAuthn step of `POST /v1/mfa/verify`, over the WebAuthn module's `verifyWebauthnInTx`. */
function webauthnStep(deps: MfaRouteDeps): WebauthnStep {
  return async (tx, input) => {
    const r = await verifyWebauthnInTx(tx, deps, input);
    return r.kind === 'verified' ? ok({ factorId: r.factorId }) : fail(webauthnRefusalError(r));
  };
}

/** `POST /v1/mfa/verify`. */
export function verifyHandler(deps: MfaRouteDeps): Handler {
  const finishDeps = { ...deps.mfa, keyRing: deps.keyRing, issuer: deps.issuer, audience: deps.audience, webauthn: webauthnStep(deps), ...(deps.risk === undefined ? {} : { risk: deps.risk }) };
  return async (req) => {
    const body = parseBody(req, VerifyBody);
    const client = clientContext(req, deps.trustedProxies);
    const factor: SecondFactor =
      body.method === 'totp'
        ? { method: 'totp', code: body.code }
        : body.method === 'recovery_code'
          ? { method: 'recovery_code', recoveryCode: body.recovery_code }
          : { method: 'webauthn', response: body.response };
    const r = await finishMfaLogin(finishDeps, { mfaToken: body.mfa_token, factor, client });
    if (!r.ok) {
      deps.log.info('mfa verify refused', { method: body.method, error: r.error.code, ip: client.maskedIp });
      throw r.error;
    }
    const { tenantId, userId, sessionId, amr } = r.value;
    if (!r.value.sightingRecorded) deps.log.warn('mfa passed but the sighting could not be recorded', { tenant_id: tenantId, user_id: userId });
    deps.log.info('mfa login succeeded', { tenant_id: tenantId, user_id: userId, session_id: sessionId, method: body.method, amr });
    return { status: 200, headers: NO_STORE, body: r.value.body };
  };
}

/** The TOTP, recovery-code and verify routes. */
export function mfaRoutes(deps: MfaRouteDeps): Route[] {
  return [
    { method: 'POST', path: MFA_PATHS.totpEnroll, handler: totpEnrollHandler(deps) },
    { method: 'POST', path: MFA_PATHS.totpConfirm, handler: totpConfirmHandler(deps) },
    { method: 'POST', path: MFA_PATHS.recoveryCodes, handler: recoveryCodesHandler(deps) },
    { method: 'POST', path: MFA_PATHS.verify, handler: verifyHandler(deps) },
  ];
}
