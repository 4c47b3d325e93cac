/**
 * The self-service session routes of the `refresh` function (SPEC section 4
 * item 3, docs/sessions.md):
 *
 * - `GET /v1/sessions`: the caller's live session families;
 * - `DELETE /v1/sessions/{session_id}`: revokes one of them (204);
 * - `POST /v1/sessions/revoke-others`: revokes all but the caller's own.
 *
 * Every route takes a Bearer access token whose session family is LIVE
 * (`sessionIsLive`): a token of a revoked, expired or epoch-revoked family is
 * refused with 401 `invalid_token` even inside its 15 minutes. The caller is
 * the token's `tid`/`sub`/`sid`, never anything from the request, so nobody
 * can name another user's or tenant's sessions; a session id that is not the
 * caller's is 404 `not_found`, exactly like one that does not exist.
 */
import * as v from 'valibot';
import { IamError } from '../../shared/domain/errors.ts';
import type { Clock, PlatformEpochSource, Random, TenantDirectory, UnitOfWork } from '../../shared/domain/ports.ts';
import { listSessions } from '../../shared/domain/sessions/list-sessions.ts';
import { revokeOtherSessions } from '../../shared/domain/sessions/revoke-other-sessions.ts';
import { revokeSession } from '../../shared/domain/sessions/revoke-session.ts';
import { sessionIsLive } from '../../shared/domain/sessions/session-is-live.ts';
import type { AccessTokenClaims, VerifyBearerOptions } from '../../shared/http/bearer.ts';
import { readBody, validate } from '../../shared/http/parse-body.ts';
import type { Route } from '../../shared/http/router.ts';
import type { HttpRequest, HttpResponse } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';

/** What the session routes need. */
export interface SessionRouteDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  /** The platform revocation epoch (`platformEpochSource`, built once per instance). */
  readonly platformEpochs: PlatformEpochSource;
  /** The shared Bearer verifier (`createBearerVerifier`), built once per instance. */
  readonly verifyBearer: (req: Pick<HttpRequest, 'headers'>, options?: VerifyBearerOptions) => Promise<AccessTokenClaims>;
  readonly log: Logger;
}

/** Where the caller's sessions are listed. */
export const SESSIONS_PATH = '/v1/sessions';
/** One session of the caller. */
export const SESSION_PATH = '/v1/sessions/:session_id';
/** Revokes every session of the caller but the current one. */
export const REVOKE_OTHERS_PATH = '/v1/sessions/revoke-others';

/** Session lists are personal data: never cached. */
const NO_STORE = { 'cache-control': 'no-store' };

/**
 * Session ids are UUIDs; anything that could not be one (or a document id) is
 * answered like an unknown session, before any read.
 */
/** revoke-others takes no parameters: no body, or `{}` (JSON); anything else is refused. */
const EmptyBody = v.strictObject({});

const SessionIdParam = v.object({ session_id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/)) });

/** Every self-service session route. */
export function sessionRoutes(deps: SessionRouteDeps): Route[] {
  const checkSession = sessionIsLive(deps);
  const caller = (req: HttpRequest) => deps.verifyBearer(req, { checkSession });
  const log = (req: HttpRequest, message: string, fields: Record<string, unknown>) =>
    deps.log.child({ request_id: req.requestId, path: req.path }).info(message, fields);

  return [
    {
      method: 'GET',
      path: SESSIONS_PATH,
      handler: async (req): Promise<HttpResponse> => {
        const claims = await caller(req);
        const sessions = await listSessions(deps, { tenantId: claims.tid, userId: claims.sub, currentSessionId: claims.sid });
        return { status: 200, headers: NO_STORE, body: { sessions } };
      },
    },
    {
      method: 'POST',
      path: REVOKE_OTHERS_PATH,
      handler: async (req): Promise<HttpResponse> => {
        const claims = await caller(req);
        if (req.rawBody.length > 0) validate(EmptyBody, readBody(req, ['json']));
        const { revoked } = await revokeOtherSessions(deps, { tenantId: claims.tid, userId: claims.sub, currentSessionId: claims.sid, requestId: req.requestId });
        log(req, 'other sessions revoked', { tenant_id: claims.tid, user_id: claims.sub, session_id: claims.sid, revoked });
        return { status: 200, headers: NO_STORE, body: { revoked } };
      },
    },
    {
      method: 'DELETE',
      path: SESSION_PATH,
      handler: async (req): Promise<HttpResponse> => {
        const claims = await caller(req);
        const params = v.safeParse(SessionIdParam, req.params);
        if (!params.success) throw new IamError('not_found', 'no such session');
        const result = await revokeSession(deps, { tenantId: claims.tid, userId: claims.sub, sessionId: params.output.session_id, requestId: req.requestId });
        if (!result.ok) throw result.error;
        log(req, 'session revoked', { tenant_id: claims.tid, user_id: claims.sub, session_id: params.output.session_id, revoked: result.value.revoked });
        return { status: 204, headers: NO_STORE };
      },
    },
  ];
}
