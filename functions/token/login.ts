/**
 * `POST /v1/login`: parse, call `loginWithPassword`, map the outcome
 * (docs/api.md). Thin: every decision is in `shared/domain/login/`.
 */
import * as v from 'valibot';
import { MAX_PASSWORD_BYTES, utf8Length } from '../../shared/domain/accounts/password-rules.ts';
import { IamError } from '../../shared/domain/errors.ts';
import { ClientIdSchema, DeviceIdSchema } from '../../shared/domain/login/client-id.ts';
import type { ClientContext, LoginSuccess } from '../../shared/domain/login/finish-login.ts';
import { loginWithPassword, type LoginWithPasswordDeps } from '../../shared/domain/login/login-with-password.ts';
import { TenantIdSchema } from '../../shared/domain/tenants/tenant.ts';
import { clientIp, type TrustedProxies } from '../../shared/http/client-ip.ts';
import { parseBody } from '../../shared/http/parse-body.ts';
import type { Handler, HttpRequest, HttpResponse } from '../../shared/http/types.ts';
import { maskIp, type Logger } from '../../shared/log.ts';

/** What the login routes need besides the domain's deps. */
export interface LoginRouteDeps extends LoginWithPasswordDeps {
  readonly trustedProxies: TrustedProxies;
  readonly log: Logger;
  /**
   * The least time an `invalid_grant` answer takes, ms. Unknown user and wrong
   * password do the same work (one reservation, one Argon2id), except for a
   * user whose hash the rehash job wrapped (one Argon2id per layer) or that
   * still has older parameters: the floor hides those from the clock too.
   */
  readonly loginRefusalFloorMs: number;
}

const LoginBody = v.strictObject({
  tenant_id: TenantIdSchema,
  email: v.pipe(v.string(), v.maxLength(1024)),
  // No stored password is longer (password-rules.ts): a longer one is a malformed request.
  password: v.pipe(v.string(), v.minLength(1), v.check((p) => utf8Length(p) <= MAX_PASSWORD_BYTES, `at most ${MAX_PASSWORD_BYTES} bytes`)),
  client_id: ClientIdSchema,
  device_id: v.optional(DeviceIdSchema),
});

/** RFC 6749 §5.1: a token response MUST carry `Cache-Control: no-store`. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** Where the request came from, as the domain wants it. */
export function clientContext(req: HttpRequest, trusted: TrustedProxies): ClientContext {
  const ip = clientIp(req, trusted);
  return { ip, maskedIp: ip === undefined ? 'unknown' : maskIp(ip), userAgent: req.headers['user-agent'], requestId: req.requestId };
}

/** Maps a finished first factor to the HTTP answer, logging it (break-glass loudly). */
export function loginAnswer(outcome: LoginSuccess, log: Logger, tenantId: string, via: 'password' | 'magic_link'): HttpResponse {
  const fields = { tenant_id: tenantId, user_id: outcome.userId, via, outcome: outcome.kind };
  if (outcome.breakglass) log.critical('BREAK-GLASS: platform admin password login on an SSO tenant', fields);
  if (outcome.kind === 'mfa_required') {
    log.info('login needs a second factor', fields);
    throw new IamError('mfa_required', 'a second factor is required', {
      fields: { mfa_token: outcome.mfaToken, methods: [...outcome.methods] },
    });
  }
  log.info('login succeeded', { ...fields, session_id: outcome.sessionId });
  return { status: 200, headers: NO_STORE, body: outcome.body };
}

/** `POST /v1/login`. */
export function loginHandler(deps: LoginRouteDeps): Handler {
  return async (req) => {
    const started = performance.now();
    const body = parseBody(req, LoginBody);
    const client = clientContext(req, deps.trustedProxies);
    const result = await loginWithPassword(deps, {
      tenantId: body.tenant_id,
      email: body.email,
      password: body.password,
      clientId: body.client_id,
      deviceId: body.device_id ?? null,
      client,
    });
    if (!result.ok) {
      deps.log.info('login refused', { tenant_id: body.tenant_id, error: result.error.code, ip: client.maskedIp });
      const wait = result.error.code === 'invalid_grant' ? deps.loginRefusalFloorMs - (performance.now() - started) : 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      throw result.error;
    }
    return loginAnswer(result.value, deps.log, body.tenant_id, 'password');
  };
}
