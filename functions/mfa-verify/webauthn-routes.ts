/**
 * WebAuthn routes of the `mfa-verify` function and the WebAuthn step of
 * `POST /v1/mfa/verify` (docs/mfa.md, "WebAuthn / passkeys").
 *
 * - `POST /v1/mfa/webauthn/register/options` (Bearer, an enrolment token
 *   too; a user who has a factor needs a recent second factor):
 *   `PublicKeyCredentialCreationOptionsJSON`.
 * - `POST /v1/mfa/webauthn/register/verify` (Bearer) `{response:
 *   RegistrationResponseJSON}`: stores the credential as a confirmed factor.
 * - `POST /v1/mfa/challenge` `{mfa_token, method: "webauthn"}`:
 *   `PublicKeyCredentialRequestOptionsJSON` for the login's challenge.
 *
 * Contract with `routes.ts` / `verify.ts`: `verifyWebauthnInTx(tx, deps,
 * input)` checks one assertion inside the `POST /v1/mfa/verify` transaction
 * (after the caller's reads of the `mfa_token` and the user, before its
 * writes), like `verifyTotpInTx`; the caller must commit on a refusal too
 * (the challenge is consumed and the failure counted). `webauthnRefusalError`
 * maps its refusals.
 */
import * as v from 'valibot';
import { simpleWebauthnRelyingParty } from '../../shared/adapters/webauthn/simplewebauthn-relying-party.ts';
import { IamError } from '../../shared/domain/errors.ts';
import type { AttemptRefusal } from '../../shared/domain/mfa/attempt-counters.ts';
import type { MfaDeps } from '../../shared/domain/mfa/mfa-deps.ts';
import { mayChangeFactors, RECENT_MFA_SECONDS } from '../../shared/domain/mfa/enrollment-token.ts';
import { mfaRefusalError } from '../../shared/domain/mfa/mfa-errors.ts';
import { finishWebauthnRegistration, type FinishWebauthnRegistrationOutcome } from '../../shared/domain/mfa/webauthn/finish-webauthn-registration.ts';
import { startWebauthnAssertion } from '../../shared/domain/mfa/webauthn/start-webauthn-assertion.ts';
import { startWebauthnRegistration } from '../../shared/domain/mfa/webauthn/start-webauthn-registration.ts';
import {
  verifyWebauthnAssertionInTx,
  type VerifyWebauthnInput,
  type VerifyWebauthnOutcome,
} from '../../shared/domain/mfa/webauthn/verify-webauthn-assertion.ts';
import type { WebAuthnDeps } from '../../shared/domain/mfa/webauthn/webauthn-deps.ts';
import type { TxRepos, WebAuthnRelyingParty } from '../../shared/domain/ports.ts';
import { hashOpaqueToken, parseOpaqueToken } from '../../shared/domain/tokens/opaque-token.ts';
import type { AccessTokenClaims, VerifyBearerOptions } from '../../shared/http/bearer.ts';
import { readBody, validate } from '../../shared/http/parse-body.ts';
import type { Route } from '../../shared/http/router.ts';
import type { HttpRequest, HttpResponse } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';

export type { VerifyWebauthnInput, VerifyWebauthnOutcome };

/** What the WebAuthn routes and step get from `index.ts` (the same objects as the TOTP routes). */
export interface WebauthnRouteDeps {
  readonly mfa: MfaDeps;
  /** Verifies `Authorization: Bearer` (an enrollment token is accepted only with `allowEnrollment`). */
  readonly verifyBearer: (req: Pick<HttpRequest, 'headers'>, options?: VerifyBearerOptions & { readonly allowEnrollment?: boolean }) => Promise<AccessTokenClaims>;
  readonly log: Logger;
  /** The relying party; defaults to `@simplewebauthn/server`. */
  readonly relyingParty?: WebAuthnRelyingParty;
}

const defaultRelyingParty = simpleWebauthnRelyingParty();

function webauthnDeps(deps: WebauthnRouteDeps): WebAuthnDeps {
  return { ...deps.mfa, relyingParty: deps.relyingParty ?? defaultRelyingParty };
}

const NO_STORE = { 'cache-control': 'no-store' };

const EmptyBody = v.strictObject({});
const RegisterVerifyBody = v.strictObject({ response: v.unknown() });
const ChallengeBody = v.strictObject({ mfa_token: v.pipe(v.string(), v.maxLength(200)), method: v.literal('webauthn') });

/** A body that may be absent: no bytes is the same as `{}`. */
function emptyBody(req: HttpRequest): void {
  validate(EmptyBody, req.rawBody.length === 0 ? {} : readBody(req, ['json']));
}

function registrationError(outcome: Exclude<FinishWebauthnRegistrationOutcome, { kind: 'registered' }>): IamError {
  switch (outcome.kind) {
    case 'malformed':
      return new IamError('invalid_request', `not a RegistrationResponseJSON: ${outcome.reason}`);
    case 'user_not_found':
      return new IamError('invalid_token', 'the user of this token no longer exists or is disabled');
    case 'no_challenge':
      return new IamError('invalid_request', 'no registration in progress; ask for new options');
    case 'challenge_expired':
      return new IamError('invalid_request', 'the registration challenge has expired; ask for new options');
    case 'invalid_response':
      return new IamError('invalid_request', 'the registration response failed verification');
    case 'already_registered':
      return new IamError('conflict', 'this credential is already registered');
  }
}

/** The client's answer for a refusal of {@link verifyWebauthnInTx}: one `invalid_grant` for every failed assertion. */
export function webauthnRefusalError(refusal: Exclude<VerifyWebauthnOutcome, { kind: 'verified' }>): IamError {
  switch (refusal.kind) {
    case 'malformed':
      return new IamError('invalid_request', `not an AuthenticationResponseJSON: ${refusal.reason}`);
    case 'invalid_assertion':
    case 'uv_required':
      return new IamError('invalid_grant', 'the WebAuthn assertion is not valid');
    default:
      return mfaRefusalError(refusal satisfies AttemptRefusal);
  }
}

/**
 * 403 unless the caller may add a factor: always for a user without one,
 * else only with a second factor passed within `RECENT_MFA_SECONDS` (a stolen
 * access token must not add a passkey). The same rule as TOTP enrolment.
 */
async function requireMayAddPasskey(deps: WebauthnRouteDeps, claims: AccessTokenClaims): Promise<void> {
  const region = await deps.mfa.directory.regionOf(claims.tid);
  const user = region === undefined ? undefined : await deps.mfa.uow.run(region, (tx) => tx.users.get(claims.tid, claims.sub));
  if (user?.status !== 'active') throw mfaRefusalError({ kind: 'user_not_found' });
  if (!mayChangeFactors(user, claims, deps.mfa.clock.now())) {
    throw new IamError('access_denied', `adding a passkey needs a second factor passed within ${RECENT_MFA_SECONDS} s: log in again with MFA`, {
      fields: { reason: 'recent_mfa_required' },
    });
  }
}

function json(status: number, body: unknown): HttpResponse {
  return { status, headers: NO_STORE, body };
}

/** The WebAuthn routes. */
export function webauthnRoutes(deps: WebauthnRouteDeps): Route[] {
  const wa = webauthnDeps(deps);
  return [
    {
      method: 'POST',
      path: '/v1/mfa/webauthn/register/options',
      handler: async (req) => {
        const claims = await deps.verifyBearer(req, { allowEnrollment: true });
        emptyBody(req);
        await requireMayAddPasskey(deps, claims);
        const r = await startWebauthnRegistration(wa, { tenantId: claims.tid, userId: claims.sub });
        if (r.kind !== 'options') throw new IamError('invalid_token', 'the user of this token no longer exists or is disabled');
        return json(200, r.options);
      },
    },
    {
      method: 'POST',
      path: '/v1/mfa/webauthn/register/verify',
      handler: async (req) => {
        const claims = await deps.verifyBearer(req, { allowEnrollment: true });
        const body = validate(RegisterVerifyBody, readBody(req, ['json']));
        await requireMayAddPasskey(deps, claims);
        const r = await finishWebauthnRegistration(wa, {
          tenantId: claims.tid,
          userId: claims.sub,
          response: body.response,
          actor: { type: 'user', id: claims.sub },
          requestId: req.requestId,
        });
        const log = { request_id: req.requestId, tenant_id: claims.tid, user_id: claims.sub, outcome: r.kind };
        if (r.kind !== 'registered') {
          deps.log.info('webauthn registration refused', { ...log, reason: 'reason' in r ? r.reason : undefined });
          throw registrationError(r);
        }
        deps.log.info('webauthn credential registered', { ...log, factor_id: r.factorId, uv: r.userVerified });
        return json(200, { factor_id: r.factorId, method: 'webauthn', mfa_methods: r.methods });
      },
    },
    {
      method: 'POST',
      path: '/v1/mfa/challenge',
      handler: async (req) => {
        const body = validate(ChallengeBody, readBody(req, ['json']));
        const parsed = parseOpaqueToken(body.mfa_token, 'mfa');
        if (parsed === undefined) throw new IamError('invalid_grant', 'the mfa_token is not valid');
        const r = await startWebauthnAssertion(wa, { tenantId: parsed.tenantId, mfaTokenHash: await hashOpaqueToken(body.mfa_token) });
        if (r.kind === 'invalid_mfa_token') throw new IamError('invalid_grant', 'the mfa_token is not valid (expired or used); log in again');
        if (r.kind === 'no_factor') throw new IamError('invalid_request', 'no WebAuthn credential is registered for this user');
        return json(200, r.options);
      },
    },
  ];
}

/** Checks one assertion inside the caller's transaction (see the file comment). */
export async function verifyWebauthnInTx(tx: TxRepos, deps: WebauthnRouteDeps, input: VerifyWebauthnInput): Promise<VerifyWebauthnOutcome> {
  const outcome = await verifyWebauthnAssertionInTx(tx, webauthnDeps(deps), input);
  if (outcome.kind !== 'verified') {
    deps.log.info('webauthn assertion refused', {
      tenant_id: input.tenant.tenant_id,
      user_id: input.userId,
      outcome: outcome.kind,
      reason: 'reason' in outcome ? outcome.reason : undefined,
    });
  }
  return outcome;
}
