/**
 * `POST /v1/mfa/totp/confirm` `{code}` (SPEC section 3): proves a pending
 * TOTP factor with one code from the authenticator, and activates it.
 *
 * One transaction: the factor becomes `confirmed` with the code's step as its
 * last used step (so the confirming code cannot also finish a login), the
 * user's other TOTP factors are removed (re-enrolment replaces), `totp`
 * joins `user.mfa_methods`, and `iam.mfa.enrolled.v1` and the audit event
 * are written, all or nothing.
 */
import type { MfaMethod } from '../accounts/user.ts';
import type { Actor } from '../outbox/event.ts';
import type { TotpFactor } from './factor.ts';
import type { MfaDeps } from './mfa-deps.ts';
import { recordMfaChange } from './mfa-events.ts';
import { PENDING_TOTP_TTL_SECONDS } from './enroll-totp.ts';
import { isTotpCode } from './totp.ts';
import { acceptStep, matchFactorCode } from './totp-factor.ts';

/** The request, from the handler (the user comes from the Bearer token). */
export interface ConfirmTotpInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly code: string;
  /** The factor to confirm; the user's newest pending TOTP factor when omitted. */
  readonly factorId?: string;
  readonly actor: Actor;
  readonly requestId: string | null;
}

/** What a confirmation found. */
export type ConfirmTotpOutcome =
  | { readonly kind: 'confirmed'; readonly factorId: string; readonly methods: readonly MfaMethod[] }
  /** Not exactly six digits: `invalid_request`. */
  | { readonly kind: 'malformed' }
  | { readonly kind: 'user_not_found' }
  /** No pending TOTP factor (never enrolled, or already confirmed). */
  | { readonly kind: 'no_pending_factor' }
  /** The pending factor is older than {@link PENDING_TOTP_TTL_SECONDS}: enrol again. */
  | { readonly kind: 'enrollment_expired' }
  | { readonly kind: 'invalid_code' };

/** Confirms a pending TOTP factor. Storage outages and a secret that does not open throw. */
export async function confirmTotp(
  deps: Pick<MfaDeps, 'uow' | 'directory' | 'clock' | 'random' | 'crypto' | 'cipher'>,
  input: ConfirmTotpInput,
): Promise<ConfirmTotpOutcome> {
  if (!isTotpCode(input.code)) return { kind: 'malformed' };
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'user_not_found' };
  return deps.uow.run(region, async (tx): Promise<ConfirmTotpOutcome> => {
    const user = await tx.users.get(input.tenantId, input.userId);
    const factors = await tx.mfaFactors.listForUser(input.tenantId, input.userId);
    if (user === undefined || user.status !== 'active') return { kind: 'user_not_found' };
    const pending = factors.filter(
      (f): f is TotpFactor => f.type === 'totp' && f.status === 'pending' && (input.factorId === undefined || f.factor_id === input.factorId),
    );
    const factor = pending.at(-1);
    if (factor === undefined) return { kind: 'no_pending_factor' };
    const nowMs = deps.clock.now();
    if (Date.parse(factor.created_at) + PENDING_TOTP_TTL_SECONDS * 1000 <= nowMs) return { kind: 'enrollment_expired' };
    const match = await matchFactorCode(deps, factor, input.code, nowMs);
    if (match.kind !== 'match') return { kind: 'invalid_code' };

    const now = new Date(nowMs).toISOString();
    const replaced = factors.filter((f) => f.type === 'totp' && f.factor_id !== factor.factor_id);
    for (const f of replaced) tx.mfaFactors.delete(input.tenantId, f.factor_id);
    tx.mfaFactors.put({ ...acceptStep(factor, match.step, now), status: 'confirmed', confirmed_at: now });
    const methods: readonly MfaMethod[] = user.mfa_methods.includes('totp') ? user.mfa_methods : [...user.mfa_methods, 'totp'];
    tx.users.put({ ...user, mfa_methods: methods, updated_at: now });
    const replacedIds = replaced.filter((f) => f.status === 'confirmed').map((f) => f.factor_id);
    recordMfaChange(tx, deps.random, {
      tenantId: input.tenantId,
      userId: input.userId,
      type: 'iam.mfa.enrolled.v1',
      data: { factor_id: factor.factor_id, method: 'totp', replaced_factor_ids: replacedIds },
      action: 'mfa.enrolled',
      actor: input.actor,
      requestId: input.requestId,
      details: { factor_id: factor.factor_id, method: 'totp', replaced_factor_ids: replacedIds },
      at: now,
    });
    return { kind: 'confirmed', factorId: factor.factor_id, methods };
  });
}
