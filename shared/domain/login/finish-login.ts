/**
 * The end of every first-factor login (password, magic link): either tokens
 * (a new session family and an access token) or, for a user with a confirmed
 * factor or whom the policy mandates MFA for, `mfa_required` with a
 * single-use `mfa_token` (SPEC section 3).
 *
 * Like `start-session.ts`, in two halves: {@link prepareLogin} does the
 * random and asynchronous work (tokens, hashes, the signature) before the
 * transaction; {@link writeLogin} only buffers writes inside it.
 */
import type { MfaMethod, User } from '../accounts/user.ts';
import { EVENT_SOURCE, type AuditEvent, type DomainEvent } from '../outbox/event.ts';
import type { KeyRing, Random, TxRepos } from '../ports.ts';
import { prepareSession, writeSession, type PreparedSession } from '../sessions/start-session.ts';
import type { Tenant, TenantPolicy } from '../tenants/tenant.ts';
import { acrFor, mintAccessToken, type Amr, type MintedAccessToken } from '../tokens/mint-access-token.ts';
import { issueOpaqueToken } from '../tokens/opaque-token.ts';
import { tokenResponse, type TokenResponse } from '../tokens/token-response.ts';
import { MFA_TOKEN_TTL_SECONDS, type MfaTokenRecord } from './one-time-tokens.ts';

/** The event a break-glass login emits. */
export const BREAKGLASS_EVENT = 'iam.breakglass.used.v1';

/** The methods offered to a user the policy mandates MFA for who has no factor yet. */
export const ENROLLABLE_METHODS: readonly MfaMethod[] = ['totp', 'webauthn'];

/** Where the request came from. */
export interface ClientContext {
  /** The client IP (`shared/http/client-ip.ts`); undefined when unknown. Used only hashed. */
  readonly ip: string | undefined;
  /** The client IP masked to /24 or /48: the only form stored. */
  readonly maskedIp: string;
  readonly userAgent: string | undefined;
  readonly requestId: string;
}

/** What the finishing step needs. */
export interface FinishLoginDeps {
  readonly random: Random;
  readonly keyRing: KeyRing;
  /** `iss` of access tokens. */
  readonly issuer: string;
  /** `aud` of access tokens. */
  readonly audience: string;
}

/** What a successful first factor leads to. */
export type LoginSuccess =
  | {
      readonly kind: 'tokens';
      readonly body: TokenResponse;
      readonly userId: string;
      readonly sessionId: string;
      readonly breakglass: boolean;
    }
  | {
      readonly kind: 'mfa_required';
      readonly mfaToken: string;
      readonly methods: readonly MfaMethod[];
      /** The user has no factor: the next issue answers `mfa_enrollment_required` for these. */
      readonly enrollmentRequired: boolean;
      readonly userId: string;
      readonly breakglass: boolean;
    };

/** Whether `user` must pass a second factor, and with which methods. */
export function mfaRequirement(
  user: Pick<User, 'roles' | 'mfa_methods'>,
  policy: TenantPolicy,
): { readonly methods: readonly MfaMethod[]; readonly enrollmentRequired: boolean } | undefined {
  const hardwareOnly = user.roles.some((r) => policy.mfa.webauthn_required_for_roles.includes(r));
  const mandated = hardwareOnly || user.roles.some((r) => policy.mfa.required_for_roles.includes(r));
  const confirmed = [...new Set(user.mfa_methods)];
  if (hardwareOnly) {
    // The policy demands WebAuthn: other factors do not satisfy it.
    return confirmed.includes('webauthn') ? { methods: ['webauthn'], enrollmentRequired: false } : { methods: ['webauthn'], enrollmentRequired: true };
  }
  if (confirmed.length > 0) return { methods: confirmed, enrollmentRequired: false };
  return mandated ? { methods: ENROLLABLE_METHODS, enrollmentRequired: true } : undefined;
}

/** The facts of one first-factor success. */
export interface FinishLoginInput {
  readonly tenant: Tenant;
  readonly user: User;
  readonly clientId: string;
  readonly deviceId: string | null;
  readonly client: ClientContext;
  /** The methods proven so far: `['pwd']` or `['email']`. */
  readonly amr: readonly Amr[];
  readonly breakglass: boolean;
  readonly nowMs: number;
  /**
   * The second-factor requirement decided by the caller (mandates plus the
   * adaptive-MFA level: `loginMfaDecision`); `null` for none. Absent: the
   * policy alone decides ({@link mfaRequirement}).
   */
  readonly requirement?: { readonly methods: readonly MfaMethod[]; readonly enrollmentRequired: boolean } | null;
}

/** A finished login, ready to be written. */
export type PreparedLogin = (
  | { readonly kind: 'tokens'; readonly session: PreparedSession; readonly access: MintedAccessToken }
  | {
      readonly kind: 'mfa_required';
      readonly mfaToken: string;
      readonly record: MfaTokenRecord;
    }
) & { readonly input: FinishLoginInput; readonly breakglass: { readonly event: DomainEvent; readonly audit: AuditEvent } | undefined };

/**
 * Prepares the outcome: an `mfa_token` and its record, or a session family
 * and a signed access token. Throws what the key ring throws (503 when no
 * signer answers); nothing is written then.
 */
export async function prepareLogin(deps: FinishLoginDeps, input: FinishLoginInput): Promise<PreparedLogin> {
  const { tenant, user, nowMs } = input;
  const now = new Date(nowMs).toISOString();
  const mfa = input.requirement === undefined ? mfaRequirement(user, tenant.policy) : (input.requirement ?? undefined);
  let prepared: PreparedLogin;
  if (mfa !== undefined) {
    const issued = await issueOpaqueToken(deps.random, 'mfa', tenant.tenant_id);
    const record: MfaTokenRecord = {
      token_hash: issued.hash,
      tenant_id: tenant.tenant_id,
      user_id: user.user_id,
      client_id: input.clientId,
      device_id: input.deviceId,
      amr: [...input.amr],
      methods: [...mfa.methods],
      enrollment_required: mfa.enrollmentRequired,
      breakglass: input.breakglass,
      ip: input.client.maskedIp,
      created_at: now,
      expires_at: new Date(nowMs + MFA_TOKEN_TTL_SECONDS * 1000).toISOString(),
    };
    prepared = { kind: 'mfa_required', mfaToken: issued.token, record, input, breakglass: undefined };
  } else {
    const session = await prepareSession(deps, {
      tenantId: tenant.tenant_id,
      userId: user.user_id,
      clientId: input.clientId,
      deviceId: input.deviceId,
      userAgent: input.client.userAgent,
      maskedIp: input.client.maskedIp,
      amr: input.amr,
      acr: acrFor(input.amr),
      policy: tenant.policy.session,
      nowMs,
      requestId: input.client.requestId,
    });
    const access = await mintAccessToken(deps, {
      userId: user.user_id,
      tenantId: tenant.tenant_id,
      roles: user.roles,
      amr: input.amr,
      sessionId: session.session.session_id,
      nowMs,
    });
    prepared = { kind: 'tokens', session, access, input, breakglass: undefined };
  }
  return input.breakglass ? { ...prepared, breakglass: breakglassEvents(deps.random, prepared, now) } : prepared;
}

/** Buffers everything a finished login writes (not the user, not the lockout counters). */
export function writeLogin(tx: TxRepos, prepared: PreparedLogin): void {
  if (prepared.kind === 'tokens') writeSession(tx, prepared.session);
  else tx.mfaTokens.create(prepared.record);
  if (prepared.breakglass !== undefined) {
    tx.outbox.add(prepared.breakglass.event, prepared.breakglass.event.time);
    tx.audit.add(prepared.breakglass.audit);
  }
}

/** What the client gets. */
export function loginSuccess(prepared: PreparedLogin): LoginSuccess {
  const { user } = prepared.input;
  const breakglass = prepared.breakglass !== undefined;
  if (prepared.kind === 'tokens') {
    const sessionId = prepared.session.session.session_id;
    return {
      kind: 'tokens',
      body: tokenResponse(prepared.access.token, prepared.session.refreshToken, sessionId),
      userId: user.user_id,
      sessionId,
      breakglass,
    };
  }
  return {
    kind: 'mfa_required',
    mfaToken: prepared.mfaToken,
    methods: prepared.record.methods,
    enrollmentRequired: prepared.record.enrollment_required,
    userId: user.user_id,
    breakglass,
  };
}

/** True when `current` (re-read in the writing transaction) still matches what the login was decided on. */
export function unchangedSince(decidedOn: User, current: User | undefined): current is User {
  return (
    current !== undefined &&
    current.status === 'active' &&
    current.password?.phc === decidedOn.password?.phc &&
    sameSet(current.roles, decidedOn.roles) &&
    sameSet(current.mfa_methods, decidedOn.mfa_methods)
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

function breakglassEvents(random: Random, prepared: PreparedLogin, now: string): { event: DomainEvent; audit: AuditEvent } {
  const { tenant, user, clientId, client } = prepared.input;
  const sessionId = prepared.kind === 'tokens' ? prepared.session.session.session_id : null;
  const event: DomainEvent = {
    id: random.uuid(),
    type: BREAKGLASS_EVENT,
    source: EVENT_SOURCE,
    subject: `user/${user.user_id}`,
    time: now,
    tenant_id: tenant.tenant_id,
    ordering_key: `user/${user.user_id}`,
    data: {
      tenant_id: tenant.tenant_id,
      user_id: user.user_id,
      client_id: clientId,
      session_id: sessionId,
      outcome: prepared.kind,
      sso_fallback: tenant.policy.sso.emergency_fallback,
      at: now,
    },
  };
  const audit: AuditEvent = {
    id: random.uuid(),
    tenant_id: tenant.tenant_id,
    at: now,
    actor: { type: 'user', id: user.user_id },
    action: 'breakglass.used',
    target: `user/${user.user_id}`,
    event_id: event.id,
    request_id: client.requestId,
    details: { client_id: clientId, session_id: sessionId, outcome: prepared.kind, ip: client.maskedIp },
  };
  return { event, audit };
}
