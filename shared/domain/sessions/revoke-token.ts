/**
 * `POST /v1/revoke` (RFC 7009): revoking a refresh token revokes its whole
 * session family (`iam.session.revoked.v1`, an audit event with the user as
 * actor), so every token of the family stops working at once.
 *
 * RFC 7009 §2.2: an unknown, invalid, expired or already revoked token is
 * answered like a revoked one (the caller learns nothing). The same goes for
 * a token of another client (client ids are not authenticated, so a wrong
 * client cannot be told from a wrong token; nothing is revoked) and for
 * access tokens, which are self-contained JWTs that live out their 15
 * minutes (revoke the refresh token to end the session).
 */
import type { ClientContext } from '../login/finish-login.ts';
import type { Clock, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { hashOpaqueToken, parseOpaqueToken } from '../tokens/opaque-token.ts';
import { familyRevocationIds, writeFamilyRevocation } from './family-revocation.ts';

/** What {@link revokeToken} needs. */
export interface RevokeTokenDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
}

/** One revocation request. */
export interface RevokeTokenInput {
  readonly token: string;
  /** `refresh_token`, `access_token` or anything else: only a hint (RFC 7009 §2.1), never trusted. */
  readonly tokenTypeHint: string | undefined;
  readonly clientId: string;
  readonly client: ClientContext;
}

/** What happened (for the log and tests; the client always gets 200). */
export type RevokeTokenOutcome =
  | { readonly kind: 'revoked'; readonly tenantId: string; readonly sessionId: string }
  | { readonly kind: 'already_revoked'; readonly tenantId: string; readonly sessionId: string }
  | { readonly kind: 'ignored'; readonly reason: 'not_a_refresh_token' | 'unknown_tenant' | 'unknown_token' | 'client_mismatch' };

/** Revokes the family of a refresh token. Throws only for outages. */
export async function revokeToken(deps: RevokeTokenDeps, input: RevokeTokenInput): Promise<RevokeTokenOutcome> {
  const parsed = parseOpaqueToken(input.token, 'rt');
  if (parsed === undefined) return { kind: 'ignored', reason: 'not_a_refresh_token' };
  const { tenantId } = parsed;
  const region = await deps.directory.regionOf(tenantId);
  if (region === undefined) return { kind: 'ignored', reason: 'unknown_tenant' };
  const hash = await hashOpaqueToken(input.token);
  const ids = familyRevocationIds(deps.random);
  const at = new Date(deps.clock.now()).toISOString();
  return deps.uow.run(region, async (tx): Promise<RevokeTokenOutcome> => {
    const record = await tx.refreshTokens.get(tenantId, hash);
    if (record === undefined) return { kind: 'ignored', reason: 'unknown_token' };
    if (record.client_id !== input.clientId) return { kind: 'ignored', reason: 'client_mismatch' };
    const family = await tx.sessions.get(tenantId, record.session_id);
    if (family === undefined || family.revoked_at !== null) return { kind: 'already_revoked', tenantId, sessionId: record.session_id };
    writeFamilyRevocation(
      tx,
      family,
      { reason: 'token_revoked', actor: { type: 'user', id: family.user_id }, at, requestId: input.client.requestId, details: { ip: input.client.maskedIp } },
      ids,
    );
    return { kind: 'revoked', tenantId, sessionId: family.session_id };
  });
}
