/**
 * `GET /v1/sessions`: the caller's LIVE session families, newest first
 * (SPEC section 4 item 3). Revoked, idle- or absolute-expired and
 * epoch-revoked families are left out. The IP is the masked one stored at
 * login; `current` marks the family of the caller's access token (`sid`).
 */
import type { Clock, PlatformEpochSource, TenantDirectory, UnitOfWork } from '../ports.ts';
import { applicableEpochs, sessionState } from './session-is-live.ts';

/** What {@link listSessions} needs. */
export interface ListSessionsDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly platformEpochs: PlatformEpochSource;
  readonly clock: Clock;
}

/** Whose sessions: the verified access token's `tid`, `sub` and `sid`. */
export interface ListSessionsInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly currentSessionId: string;
}

/** One family as the user sees it. */
export interface SessionView {
  readonly session_id: string;
  readonly created_at: string;
  readonly last_used_at: string;
  /** The device label ("Firefox on Linux", a device id). */
  readonly device: string;
  /** Masked to its /24 or /48. */
  readonly ip: string;
  /** True for the family of the access token that asked. */
  readonly current: boolean;
}

/** The user's live families, newest first. An unknown tenant has none. */
export async function listSessions(deps: ListSessionsDeps, input: ListSessionsInput): Promise<readonly SessionView[]> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return [];
  const now = new Date(deps.clock.now()).toISOString();
  return deps.uow.run(region, async (tx) => {
    const [families, epochs] = await Promise.all([
      tx.sessions.listForUser(input.tenantId, input.userId),
      applicableEpochs(tx, deps.platformEpochs, input.tenantId),
    ]);
    return families
      .filter((f) => f.user_id === input.userId && f.tenant_id === input.tenantId && sessionState(f, epochs, now) === 'live')
      .map((f) => ({
        session_id: f.session_id,
        created_at: f.created_at,
        last_used_at: f.last_used_at,
        device: f.device,
        ip: f.ip,
        current: f.session_id === input.currentSessionId,
      }));
  });
}
