import { IamError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';
import { statusOf } from './status.ts';
import type { HttpResponse } from './types.ts';

/**
 * Renders any thrown value as the error envelope of SPEC section 3:
 * `{error, error_description, request_id, ...fields}`.
 * A 5xx says only `server_error` (or `temporarily_unavailable`): no description
 * from the throw site, no stack, no PII reaches the client.
 */
export function errorResponse(e: unknown, requestId: string, log: Logger): HttpResponse {
  const err = e instanceof IamError ? e : new IamError('server_error', 'unexpected error', { cause: e });
  const status = statusOf(err.code);
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (status >= 500) {
    log.error('request failed', { error: err.code, err: describeCause(err) });
    const code = err.code === 'temporarily_unavailable' ? 'temporarily_unavailable' : 'server_error';
    // SPEC section 3: `temporarily_unavailable` always tells the client when to retry.
    const retryAfter = err.retryAfter ?? (code === 'temporarily_unavailable' ? 1 : undefined);
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    const description =
      code === 'temporarily_unavailable' ? 'a dependency is unavailable, retry later' : 'internal error';
    return { status, headers, body: { error: code, error_description: description, request_id: requestId } };
  }
  log.info('request refused', { error: err.code, status });
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  if (err.code === 'invalid_token') headers['www-authenticate'] = 'Bearer error="invalid_token"';
  return {
    status,
    headers,
    // The fields come first: they may add to the envelope, never overwrite its three members.
    body: { ...err.fields, error: err.code, error_description: err.message, request_id: requestId },
  };
}

function describeCause(err: IamError): string {
  const chain: string[] = [`${err.code}: ${err.message}`];
  let c: unknown = err.cause;
  for (let depth = 0; c !== undefined && depth < 4; depth++) {
    chain.push(c instanceof Error ? `${c.name}: ${c.message}\n${c.stack ?? ''}` : String(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  return chain.join('\ncaused by ');
}
