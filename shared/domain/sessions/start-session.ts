/**
 * Starts a session family: the family, its first refresh token (stored only as
 * a hash, `parent: null`), the outbox event `iam.session.created.v1` and the
 * audit event, written in the caller's transaction.
 *
 * Split in two because a transaction may run more than once: everything
 * random or asynchronous (ids, the token and its hash) is prepared before the
 * transaction, and only buffered writes happen inside it.
 */
import { EVENT_SOURCE, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { Random, TxRepos } from '../ports.ts';
import type { TenantPolicy } from '../tenants/tenant.ts';
import { issueOpaqueToken } from '../tokens/opaque-token.ts';
import { deviceLabel } from './device-label.ts';
import type { RefreshTokenRecord, SessionFamily } from './session.ts';

/** The type of the event a new family emits. */
export const SESSION_CREATED_EVENT = 'iam.session.created.v1';

/** What a new family is made of. */
export interface NewSessionInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly clientId: string;
  readonly deviceId: string | null;
  readonly userAgent: string | undefined;
  /** The client IP, already masked (/24 or /48). */
  readonly maskedIp: string;
  readonly amr: readonly string[];
  readonly acr: string;
  readonly policy: TenantPolicy['session'];
  readonly nowMs: number;
  readonly requestId: string | null;
}

/** A family ready to be written, with the refresh token for the client. */
export interface PreparedSession {
  readonly session: SessionFamily;
  /** The refresh token value: returned to the client once, never stored. */
  readonly refreshToken: string;
  readonly refreshRecord: RefreshTokenRecord;
  readonly event: DomainEvent;
  readonly audit: AuditEvent;
}

/** Makes the ids, the refresh token and its hash, and the events of a new family. */
export async function prepareSession(deps: { readonly random: Random }, input: NewSessionInput): Promise<PreparedSession> {
  const now = new Date(input.nowMs).toISOString();
  const sessionId = deps.random.uuid();
  const refresh = await issueOpaqueToken(deps.random, 'rt', input.tenantId);
  const session: SessionFamily = {
    session_id: sessionId,
    tenant_id: input.tenantId,
    user_id: input.userId,
    client_id: input.clientId,
    created_at: now,
    last_used_at: now,
    idle_expires_at: new Date(input.nowMs + input.policy.idle_seconds * 1000).toISOString(),
    absolute_expires_at: new Date(input.nowMs + input.policy.absolute_seconds * 1000).toISOString(),
    device: deviceLabel(input.deviceId, input.userAgent),
    device_id: input.deviceId,
    ip: input.maskedIp,
    amr: [...input.amr],
    acr: input.acr,
    revoked_at: null,
    revoked_reason: null,
  };
  const refreshRecord: RefreshTokenRecord = {
    token_hash: refresh.hash,
    tenant_id: input.tenantId,
    session_id: sessionId,
    user_id: input.userId,
    client_id: input.clientId,
    status: 'active',
    parent: null,
    created_at: now,
    used_at: null,
  };
  const aggregate = `user/${input.userId}`;
  const event: DomainEvent = {
    id: deps.random.uuid(),
    type: SESSION_CREATED_EVENT,
    source: EVENT_SOURCE,
    subject: `session/${sessionId}`,
    time: now,
    tenant_id: input.tenantId,
    ordering_key: aggregate,
    data: {
      tenant_id: input.tenantId,
      user_id: input.userId,
      session_id: sessionId,
      client_id: input.clientId,
      amr: [...input.amr],
      acr: input.acr,
      created_at: now,
    },
  };
  const audit: AuditEvent = {
    id: deps.random.uuid(),
    tenant_id: input.tenantId,
    at: now,
    actor: { type: 'user', id: input.userId },
    action: 'session.created',
    target: `session/${sessionId}`,
    event_id: event.id,
    request_id: input.requestId,
    details: { client_id: input.clientId, amr: [...input.amr], device: session.device, ip: input.maskedIp },
  };
  return { session, refreshToken: refresh.token, refreshRecord, event, audit };
}

/** Buffers the family, its first refresh token, the outbox event and the audit event. */
export function writeSession(tx: TxRepos, prepared: PreparedSession): void {
  tx.sessions.create(prepared.session);
  tx.refreshTokens.create(prepared.refreshRecord);
  tx.outbox.add(prepared.event, prepared.session.created_at);
  tx.audit.add(prepared.audit);
}
