/**
 * `POST /v1/magic-link` and `POST /v1/magic-link/redeem`: parse, call the use
 * case, map the outcome (docs/api.md).
 */
import * as v from 'valibot';
import { ClientIdSchema, DEFAULT_MAGIC_LINK_CLIENT } from '../../shared/domain/login/client-id.ts';
import { redeemMagicLink, type RedeemMagicLinkDeps } from '../../shared/domain/login/redeem-magic-link.ts';
import { requestMagicLink, type RequestMagicLinkDeps } from '../../shared/domain/login/request-magic-link.ts';
import { TenantIdSchema } from '../../shared/domain/tenants/tenant.ts';
import type { TrustedProxies } from '../../shared/http/client-ip.ts';
import { parseBody } from '../../shared/http/parse-body.ts';
import type { Handler } from '../../shared/http/types.ts';
import type { Logger } from '../../shared/log.ts';
import { clientContext, loginAnswer } from './login.ts';

/** What the magic-link routes need. */
export interface MagicLinkRouteDeps extends RequestMagicLinkDeps, RedeemMagicLinkDeps {
  readonly trustedProxies: TrustedProxies;
  readonly log: Logger;
  /**
   * The least time `POST /v1/magic-link` takes, ms, so the answer for an
   * existing user (a write and a mail) is not slower than for anyone else.
   */
  readonly magicLinkFloorMs: number;
}

const RequestBody = v.strictObject({
  tenant_id: TenantIdSchema,
  email: v.pipe(v.string(), v.maxLength(1024)),
  client_id: v.optional(ClientIdSchema),
});

const RedeemBody = v.strictObject({ token: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });

/** `POST /v1/magic-link`: always 202 for a well-formed request. */
export function magicLinkHandler(deps: MagicLinkRouteDeps): Handler {
  return async (req) => {
    const started = performance.now();
    const body = parseBody(req, RequestBody);
    const client = clientContext(req, deps.trustedProxies);
    const { outcome, error } = await requestMagicLink(deps, {
      tenantId: body.tenant_id,
      email: body.email,
      clientId: body.client_id ?? DEFAULT_MAGIC_LINK_CLIENT,
    });
    const fields = { tenant_id: body.tenant_id, outcome, ip: client.maskedIp };
    if (outcome === 'mail_failed') deps.log.error('magic link not delivered', { ...fields, err: String(error) });
    else deps.log.info('magic link requested', fields);
    const wait = deps.magicLinkFloorMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return { status: 202, headers: { 'cache-control': 'no-store' }, body: { status: 'accepted' } };
  };
}

/** `POST /v1/magic-link/redeem`: the login token body (or `mfa_required`). */
export function magicLinkRedeemHandler(deps: MagicLinkRouteDeps): Handler {
  return async (req) => {
    const body = parseBody(req, RedeemBody);
    const client = clientContext(req, deps.trustedProxies);
    const result = await redeemMagicLink(deps, { token: body.token, client });
    if (!result.ok) {
      deps.log.info('magic link refused', { error: result.error.code, ip: client.maskedIp });
      throw result.error;
    }
    if (result.value.clearedLockouts > 0) {
      deps.log.notice('magic link recovered a locked account', { user_id: result.value.userId, cleared: result.value.clearedLockouts });
    }
    return loginAnswer(result.value, deps.log, result.value.tenantId, 'magic_link');
  };
}
