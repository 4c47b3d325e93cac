/**
 * The refresh grant (`POST /v1/token`, `grant_type=refresh_token`, RFC 6749
 * §6) and RFC 7009 revocation (`POST /v1/revoke`), form or JSON bodies.
 * Thin: every decision is in `shared/domain/sessions/` (docs/sessions.md).
 */
import * as v from 'valibot';
import { IamError } from '../../shared/domain/errors.ts';
import { ClientIdSchema } from '../../shared/domain/login/client-id.ts';
import type { ClientContext } from '../../shared/domain/login/finish-login.ts';
import { coalesceRefreshes } from '../../shared/domain/sessions/refresh-coalescing.ts';
import { revokeToken, type RevokeTokenDeps } from '../../shared/domain/sessions/revoke-token.ts';
import { rotateRefreshToken, type RotateRefreshTokenDeps } from '../../shared/domain/sessions/rotate-refresh-token.ts';
import { clientIp, type TrustedProxies } from '../../shared/http/client-ip.ts';
import { readBody, validate, type BodyKind } from '../../shared/http/parse-body.ts';
import type { Route } from '../../shared/http/router.ts';
import type { Handler, HttpRequest } from '../../shared/http/types.ts';
import { maskIp, type Logger } from '../../shared/log.ts';

/** What the token routes of the refresh function need. */
export interface TokenRefreshRouteDeps extends RotateRefreshTokenDeps, RevokeTokenDeps {
  readonly trustedProxies: TrustedProxies;
  readonly log: Logger;
}

/** The token endpoint (RFC 6749 §3.2). */
export const TOKEN_PATH = '/v1/token';
/** The revocation endpoint (RFC 7009 §2). */
export const REVOKE_PATH = '/v1/revoke';

/** The grant types `POST /v1/token` serves. */
export const GRANT_TYPES = ['refresh_token'] as const;

/** RFC 6749 §5.1: a token response MUST carry `Cache-Control: no-store`. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** Both media types RFC 6749 clients use. */
const BODY_KINDS: readonly BodyKind[] = ['form', 'json'];

/** Opaque tokens are 50-110 characters; anything far longer is malformed, not merely unknown. */
const TokenString = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));

const RefreshBody = v.strictObject({
  grant_type: v.literal('refresh_token'),
  refresh_token: TokenString,
  client_id: ClientIdSchema,
});

const RevokeBody = v.strictObject({
  token: TokenString,
  // RFC 7009 §2.1: a hint the server may ignore; an unknown value is not an error.
  token_type_hint: v.optional(v.pipe(v.string(), v.maxLength(64))),
  client_id: ClientIdSchema,
});

function clientContext(req: HttpRequest, trusted: TrustedProxies): ClientContext {
  const ip = clientIp(req, trusted);
  return { ip, maskedIp: ip === undefined ? 'unknown' : maskIp(ip), userAgent: req.headers['user-agent'], requestId: req.requestId };
}

/** Reads the body and checks the grant type before anything else (RFC 6749 §5.2). */
function readGrant(req: HttpRequest): v.InferOutput<typeof RefreshBody> {
  const raw = readBody(req, BODY_KINDS);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new IamError('invalid_request', 'the body must be an object');
  const grantType = (raw as Record<string, unknown>)['grant_type'];
  if (grantType === undefined) throw new IamError('invalid_request', "'grant_type' is required");
  if (typeof grantType !== 'string') throw new IamError('invalid_request', "'grant_type' must be a string");
  if (!(GRANT_TYPES as readonly string[]).includes(grantType)) {
    throw new IamError('unsupported_grant_type', `this endpoint serves grant_type ${GRANT_TYPES.join(', ')}`);
  }
  return validate(RefreshBody, raw);
}

/** `POST /v1/token`. Identical requests in flight at once share one rotation (`refresh-coalescing.ts`). */
export function refreshHandler(deps: TokenRefreshRouteDeps): Handler {
  const refresh = coalesceRefreshes((input) => rotateRefreshToken(deps, input));
  return async (req) => {
    const body = readGrant(req);
    const client = clientContext(req, deps.trustedProxies);
    const result = await refresh({ refreshToken: body.refresh_token, clientId: body.client_id, client });
    if (!result.ok) {
      const { reason, tenantId, sessionId } = result.error;
      const fields = { reason, tenant_id: tenantId ?? null, session_id: sessionId ?? null, client_id: body.client_id, ip: client.maskedIp };
      if (reason === 'reuse_detected') deps.log.warn('refresh token reuse: family revoked', fields);
      else deps.log.info('refresh refused', fields);
      throw result.error.error;
    }
    const outcome = result.value;
    const fields = { tenant_id: outcome.tenantId, user_id: outcome.userId, session_id: outcome.sessionId };
    if (outcome.kind === 'mfa_required') {
      deps.log.info('refresh needs a step-up', fields);
      throw new IamError('mfa_required', 'a second factor is required', { fields: { mfa_token: outcome.mfaToken, methods: [...outcome.methods] } });
    }
    deps.log.info('refreshed', { ...fields, via: outcome.via });
    return { status: 200, headers: NO_STORE, body: outcome.body };
  };
}

/** `POST /v1/revoke`: 200 for every well-formed request (RFC 7009 §2.2). */
export function revokeHandler(deps: TokenRefreshRouteDeps): Handler {
  return async (req) => {
    const body = validate(RevokeBody, readBody(req, BODY_KINDS));
    const client = clientContext(req, deps.trustedProxies);
    const outcome = await revokeToken(deps, { token: body.token, tokenTypeHint: body.token_type_hint, clientId: body.client_id, client });
    deps.log.info('revoke', outcome.kind === 'ignored' ? { outcome: outcome.kind, reason: outcome.reason } : { outcome: outcome.kind, tenant_id: outcome.tenantId, session_id: outcome.sessionId });
    return { status: 200, headers: NO_STORE, body: {} };
  };
}

/** The refresh and revoke routes. */
export function tokenRefreshRoutes(deps: TokenRefreshRouteDeps): Route[] {
  return [
    { method: 'POST', path: TOKEN_PATH, handler: refreshHandler(deps) },
    { method: 'POST', path: REVOKE_PATH, handler: revokeHandler(deps) },
  ];
}
