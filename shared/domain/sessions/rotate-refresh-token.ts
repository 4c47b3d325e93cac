/**
 * `POST /v1/token` with `grant_type=refresh_token` (RFC 6749 §6; SPEC section
 * 4 item 3; RFC 9700 §4.14.2; risks ): refresh-token rotation with
 * reuse detection, a grace window, family lifetimes, client binding,
 * revocation epochs and the adaptive-MFA step-up hook. docs/sessions.md.
 *
 * One Firestore transaction reads the presented token's record (by hash),
 * its family, the tenant (policy), the tenant's revocation epoch and the user,
 * then decides:
 * - `active`: mark it `rotated` (with the successor's hash and, for the grace
 *   window, the successor's value sealed), create the successor, move the
 *   family's `last_used_at` and idle expiry;
 * - `rotated`, it is the IMMEDIATE predecessor of the live token and the grace
 *   window is open: the same successor again (nothing written);
 * - `rotated` otherwise: reuse. The whole family is revoked, with
 *   `iam.session.reuse_detected.v1` and an audit event; `invalid_grant`.
 * The access token is signed after the commit: a signer outage after a
 * rotation is recovered by a retry inside the grace window.
 *
 * Routine rotations write no outbox or audit event (they are the hot path and
 * change no one's rights); the family's `last_used_at` records them.
 */
import type { MfaMethod, User } from '../accounts/user.ts';
import { IamError } from '../errors.ts';
import type { ClientContext } from '../login/finish-login.ts';
import { MFA_TOKEN_TTL_SECONDS, type MfaTokenRecord } from '../login/one-time-tokens.ts';
import type { RiskLevel } from '../mfa/risk/risk-level.ts';
import type { RiskEvent } from '../mfa/risk/sightings.ts';
import type { Clock, KeyRing, PlatformEpochSource, Random, SecretCipher, TenantDirectory, TxRepos, UnitOfWork } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import type { Region } from '../tenants/tenant.ts';
import { mintAccessToken, type Amr } from '../tokens/mint-access-token.ts';
import { hashOpaqueToken, issueOpaqueToken, parseOpaqueToken, type IssuedOpaqueToken } from '../tokens/opaque-token.ts';
import { tokenResponse, type TokenResponse } from '../tokens/token-response.ts';
import { familyRevocationIds, REFRESH_ACTOR, writeFamilyRevocation, type FamilyRevocationIds } from './family-revocation.ts';
import { openSuccessor, sealSuccessor } from './refresh-grace.ts';
import { isRevokedByEpoch } from './revocation-epoch.ts';
import type { RefreshTokenRecord, SessionFamily } from './session.ts';

/** What the step-up hook is asked: `assessRisk`'s input for a refresh. */
export interface RefreshRiskInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly deviceId: string | null;
  readonly ip: string | undefined;
  readonly event: RiskEvent;
  readonly recentFailures: 0;
  readonly requestId: string;
  readonly region: Region;
}

/** The step-up hook: `(i) => assessRisk(riskDeps, i)` in production. */
export type RefreshRiskCheck = (input: RefreshRiskInput) => Promise<{ readonly level: RiskLevel }>;

/** What {@link rotateRefreshToken} needs. */
export interface RotateRefreshTokenDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  readonly keyRing: KeyRing;
  /** `iss` of access tokens. */
  readonly issuer: string;
  /** `aud` of access tokens. */
  readonly audience: string;
  /** Seals successors for the grace window (`createRefreshGraceCipher`). */
  readonly graceCipher: SecretCipher;
  /** The platform's revocation epoch (cached per instance). */
  readonly platformEpochs: PlatformEpochSource;
  /** The adaptive-MFA hook; undefined turns it off (tests and the bench only). */
  readonly risk: RefreshRiskCheck | undefined;
}

/** One refresh request. */
export interface RotateRefreshTokenInput {
  readonly refreshToken: string;
  readonly clientId: string;
  readonly client: ClientContext;
}

/** What a refresh leads to. */
export type RefreshOutcome =
  | {
      readonly kind: 'tokens';
      readonly body: TokenResponse;
      readonly tenantId: string;
      readonly userId: string;
      readonly sessionId: string;
      /** `rotated`: a new successor; `grace`: the successor of a retry inside the window. */
      readonly via: 'rotated' | 'grace';
    }
  | {
      readonly kind: 'mfa_required';
      readonly mfaToken: string;
      readonly methods: readonly MfaMethod[];
      readonly tenantId: string;
      readonly userId: string;
      readonly sessionId: string;
    };

/** Why a refresh was refused (for the log; the client only sees `error`). */
export type RefreshRefusalReason =
  | 'malformed'
  | 'unknown_tenant'
  | 'unknown_token'
  | 'client_mismatch'
  | 'revoked'
  | 'platform_epoch'
  | 'tenant_epoch'
  | 'idle_expired'
  | 'absolute_expired'
  | 'user_inactive'
  | 'reuse_detected'
  | 'risk_denied'
  | 'step_up_impossible';

/** A refused refresh. */
export interface RefreshRefusal {
  readonly error: IamError;
  readonly reason: RefreshRefusalReason;
  readonly tenantId?: string;
  readonly sessionId?: string;
}

type Decision =
  | { readonly kind: 'refuse'; readonly reason: RefreshRefusalReason; readonly sessionId?: string }
  | { readonly kind: 'needs_risk'; readonly family: SessionFamily }
  | { readonly kind: 'issue'; readonly via: 'rotated' | 'grace'; readonly family: SessionFamily; readonly user: User; readonly refreshToken: string }
  | { readonly kind: 'mfa_required'; readonly family: SessionFamily; readonly mfaToken: string; readonly methods: readonly MfaMethod[] };

/** The RFC 6749 §5.2 refusal every failed refresh gets, whatever the reason. */
function invalidGrant(): IamError {
  return new IamError('invalid_grant', 'the refresh token is not valid');
}

function refusal(reason: RefreshRefusalReason, tenantId?: string, sessionId?: string): { readonly ok: false; readonly error: RefreshRefusal } {
  const error =
    reason === 'risk_denied' || reason === 'step_up_impossible'
      ? new IamError('access_denied', 'this session cannot be refreshed now; sign in again')
      : invalidGrant();
  return fail({ error, reason, ...(tenantId === undefined ? {} : { tenantId }), ...(sessionId === undefined ? {} : { sessionId }) });
}

/** The methods a step-up may use, or undefined when the user has none that satisfies `level`. */
function stepUpMethods(user: User, level: RiskLevel): readonly MfaMethod[] | undefined {
  const confirmed = [...new Set(user.mfa_methods)];
  if (confirmed.length === 0) return undefined;
  if (level === 'hardware_step_up' && confirmed.includes('webauthn')) return ['webauthn'];
  return confirmed;
}

/** Prepared before the transaction, which may run more than once. */
interface Prepared {
  readonly tenantId: string;
  readonly hash: string;
  readonly successor: IssuedOpaqueToken;
  readonly revocation: FamilyRevocationIds;
  readonly nowMs: number;
  readonly platformEpoch: { readonly epoch: string } | undefined;
}

/**
 * Refreshes: rotates the presented refresh token, returns the successor of a
 * retry inside the grace window, or refuses (`invalid_grant`, revoking the
 * family on reuse or under a revocation epoch; `access_denied` when the risk
 * engine refuses). Throws only for outages (storage, signer: 503).
 */
export async function rotateRefreshToken(deps: RotateRefreshTokenDeps, input: RotateRefreshTokenInput): Promise<Result<RefreshOutcome, RefreshRefusal>> {
  const parsed = parseOpaqueToken(input.refreshToken, 'rt');
  if (parsed === undefined) return refusal('malformed');
  const { tenantId } = parsed;
  const region = await deps.directory.regionOf(tenantId);
  if (region === undefined) return refusal('unknown_tenant', tenantId);
  const nowMs = deps.clock.now();
  const [hash, successor, platformEpoch] = await Promise.all([
    hashOpaqueToken(input.refreshToken),
    issueOpaqueToken(deps.random, 'rt', tenantId),
    deps.platformEpochs.current(),
  ]);
  const prepared: Prepared = { tenantId, hash, successor, revocation: familyRevocationIds(deps.random), nowMs, platformEpoch };

  let risk: RiskLevel | undefined = deps.risk === undefined ? 'allow' : undefined;
  let decision = await deps.uow.run(region, (tx) => decide(deps, tx, input, prepared, risk));
  if (decision.kind === 'needs_risk' && deps.risk !== undefined) {
    const family = decision.family;
    risk = (
      await deps.risk({
        tenantId,
        userId: family.user_id,
        deviceId: family.device_id,
        ip: input.client.ip,
        event: 'refresh',
        recentFailures: 0,
        requestId: input.client.requestId,
        region,
      })
    ).level;
    decision = await deps.uow.run(region, (tx) => decide(deps, tx, input, prepared, risk));
  }
  switch (decision.kind) {
    case 'needs_risk':
      throw new Error('the refresh asked for a risk assessment twice');
    case 'refuse':
      return refusal(decision.reason, tenantId, decision.sessionId);
    case 'mfa_required':
      return ok({
        kind: 'mfa_required',
        mfaToken: decision.mfaToken,
        methods: decision.methods,
        tenantId,
        userId: decision.family.user_id,
        sessionId: decision.family.session_id,
      });
    case 'issue': {
      const { family, user } = decision;
      const access = await mintAccessToken(deps, {
        userId: user.user_id,
        tenantId,
        roles: user.roles,
        amr: family.amr as readonly Amr[],
        sessionId: family.session_id,
        nowMs,
        // The family began with the authentication its `amr` records (a step-up starts a new family).
        authTimeMs: Date.parse(family.created_at),
      });
      return ok({
        kind: 'tokens',
        body: tokenResponse(access.token, decision.refreshToken, family.session_id),
        tenantId,
        userId: user.user_id,
        sessionId: family.session_id,
        via: decision.via,
      });
    }
  }
}

/** The transaction: every read first, then the decision and its buffered writes. */
async function decide(
  deps: RotateRefreshTokenDeps,
  tx: TxRepos,
  input: RotateRefreshTokenInput,
  p: Prepared,
  risk: RiskLevel | undefined,
): Promise<Decision> {
  const record = await tx.refreshTokens.get(p.tenantId, p.hash);
  if (record === undefined) return { kind: 'refuse', reason: 'unknown_token' };
  // Client binding: a token is refused to any other client. Nothing is revoked
  // (docs/sessions.md): client ids are public, so a mismatch proves nothing
  // about who holds the token, and revoking would let any caller end sessions.
  if (record.client_id !== input.clientId) return { kind: 'refuse', reason: 'client_mismatch', sessionId: record.session_id };
  const [family, tenant, tenantEpoch, user, successorRecord] = await Promise.all([
    tx.sessions.get(p.tenantId, record.session_id),
    tx.tenants.get(p.tenantId),
    tx.revocationEpochs.get(p.tenantId),
    tx.users.get(p.tenantId, record.user_id),
    record.status === 'rotated' && typeof record.successor === 'string' ? tx.refreshTokens.get(p.tenantId, record.successor) : undefined,
  ]);
  const sessionId = record.session_id;
  if (family === undefined || tenant === undefined || family.revoked_at !== null || record.status === 'revoked') {
    return { kind: 'refuse', reason: 'revoked', sessionId };
  }
  const now = new Date(p.nowMs).toISOString();
  const byEpoch = isRevokedByEpoch(family, { platform: p.platformEpoch, tenant: tenantEpoch });
  if (byEpoch !== undefined) {
    writeFamilyRevocation(tx, family, { reason: byEpoch, actor: REFRESH_ACTOR, at: now, requestId: input.client.requestId }, p.revocation);
    return { kind: 'refuse', reason: byEpoch, sessionId };
  }
  if (now >= family.absolute_expires_at) return { kind: 'refuse', reason: 'absolute_expired', sessionId };
  if (now >= family.idle_expires_at) return { kind: 'refuse', reason: 'idle_expired', sessionId };
  if (user === undefined || user.status !== 'active') return { kind: 'refuse', reason: 'user_inactive', sessionId };

  if (record.status === 'rotated') {
    if (graceApplies(record, successorRecord, now)) {
      const token = await openSuccessor(deps.graceCipher, record.successor_sealed, p.hash, sessionId, record.successor);
      return { kind: 'issue', via: 'grace', family, user, refreshToken: token };
    }
    // Reuse: revoke the family and, for good measure, the live token.
    writeFamilyRevocation(
      tx,
      family,
      { reason: 'reuse_detected', actor: REFRESH_ACTOR, at: now, requestId: input.client.requestId, details: { ip: input.client.maskedIp, token: p.hash } },
      p.revocation,
    );
    if (successorRecord !== undefined && successorRecord.status === 'active') tx.refreshTokens.put({ ...successorRecord, status: 'revoked' });
    // The sealed successor is of no use any more: shred it.
    if (record.successor_sealed !== undefined && record.successor_sealed !== null) tx.refreshTokens.put({ ...record, successor_sealed: null, grace_until: null });
    return { kind: 'refuse', reason: 'reuse_detected', sessionId };
  }

  // Active: the risk engine first (outside this transaction), then rotate or step up.
  if (risk === undefined) return { kind: 'needs_risk', family };
  if (risk === 'deny_pending_review') return { kind: 'refuse', reason: 'risk_denied', sessionId };
  if (risk === 'step_up' || risk === 'hardware_step_up') {
    const methods = stepUpMethods(user, risk);
    if (methods === undefined) return { kind: 'refuse', reason: 'step_up_impossible', sessionId };
    // Made here, not before the transaction: only a step-up needs one (a rerun makes another; only the committed one is returned).
    const mfa = await issueOpaqueToken(deps.random, 'mfa', p.tenantId);
    const mfaRecord: MfaTokenRecord = {
      token_hash: mfa.hash,
      tenant_id: p.tenantId,
      user_id: user.user_id,
      client_id: record.client_id,
      device_id: family.device_id,
      amr: [...family.amr],
      methods: [...methods],
      enrollment_required: false,
      breakglass: false,
      ip: input.client.maskedIp,
      created_at: now,
      expires_at: new Date(p.nowMs + MFA_TOKEN_TTL_SECONDS * 1000).toISOString(),
    };
    tx.mfaTokens.create(mfaRecord);
    return { kind: 'mfa_required', family, mfaToken: mfa.token, methods };
  }

  const grace = tenant.policy.session.refresh_grace_seconds;
  const sealed = grace > 0 ? await sealSuccessor(deps.graceCipher, p.successor.token, p.hash, sessionId) : null;
  tx.refreshTokens.put({
    ...record,
    status: 'rotated',
    used_at: now,
    successor: p.successor.hash,
    successor_sealed: sealed,
    grace_until: grace > 0 ? new Date(p.nowMs + grace * 1000).toISOString() : null,
  });
  tx.refreshTokens.create({
    token_hash: p.successor.hash,
    tenant_id: p.tenantId,
    session_id: sessionId,
    user_id: record.user_id,
    client_id: record.client_id,
    status: 'active',
    parent: p.hash,
    created_at: now,
    used_at: null,
  });
  const idle = new Date(Math.min(p.nowMs + tenant.policy.session.idle_seconds * 1000, Date.parse(family.absolute_expires_at))).toISOString();
  tx.sessions.put({ ...family, last_used_at: now, idle_expires_at: idle });
  return { kind: 'issue', via: 'rotated', family, user, refreshToken: p.successor.token };
}

/**
 * A rotated token may get its successor again only when it is the IMMEDIATE
 * predecessor of the live token (its successor is still active), the window is
 * open, and the sealed successor is there.
 */
function graceApplies(
  record: RefreshTokenRecord,
  successor: RefreshTokenRecord | undefined,
  now: string,
): record is RefreshTokenRecord & { readonly successor: string; readonly successor_sealed: NonNullable<RefreshTokenRecord['successor_sealed']> } {
  return (
    typeof record.successor === 'string' &&
    record.successor_sealed !== undefined &&
    record.successor_sealed !== null &&
    typeof record.grace_until === 'string' &&
    now <= record.grace_until &&
    successor !== undefined &&
    successor.status === 'active' &&
    successor.parent === record.token_hash
  );
}
