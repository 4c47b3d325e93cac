/**
 * A TOTP code that finishes a login (`POST /v1/mfa/verify` with
 * `method: "totp"`; SPEC section 3, risk R-02).
 *
 * In one serialisable transaction: the attempt counters of the `mfa_token`
 * and of the user are checked, the user's confirmed TOTP factor is checked
 * against the code (T-1, T, T+1; constant-time), and then either the
 * accepted step is stored as the factor's last used step and the counters
 * are reset, or one failure is counted on both. Two parallel uses of one
 * code therefore accept it once (the second sees the stored step: replay),
 * and N parallel guesses never exceed the limits.
 *
 * `verifyTotpInTx` does this inside the caller's transaction, so
 * `mfa-verify` can consume the `mfa_token` and start the session in the same
 * commit: call it after the caller's own reads and before its writes.
 * A malformed code reads and writes nothing.
 */
import type { TxRepos } from '../ports.ts';
import { attemptRefusal, readAttempts, writeFailure, writeSuccess, type AttemptRefusal } from './attempt-counters.ts';
import { confirmedOf } from './factor.ts';
import type { MfaDeps } from './mfa-deps.ts';
import { isTotpCode } from './totp.ts';
import { acceptStep, matchFactorCode } from './totp-factor.ts';

/** The attempt, from `mfa-verify` (the user and token hash come from the stored `mfa_token`). */
export interface VerifyTotpInput {
  readonly tenantId: string;
  readonly userId: string;
  /** The hash of the `mfa_token` this attempt comes with (`hashOpaqueToken`). */
  readonly mfaTokenHash: string;
  readonly code: string;
}

/** What a login code found. Everything but `verified` and `malformed` counted as a failure. */
export type VerifyTotpOutcome =
  | { readonly kind: 'verified'; readonly factorId: string; readonly step: number }
  /** Not exactly six digits: `invalid_request`, not counted. */
  | { readonly kind: 'malformed' }
  /** Refused before checking (see `attempts.ts`); not counted again. */
  | AttemptRefusal
  /** The user has no confirmed TOTP factor. */
  | { readonly kind: 'no_factor' }
  /** A valid code of a step already accepted (RFC 6238 §5.2). */
  | { readonly kind: 'replayed' }
  | { readonly kind: 'invalid_code' };

/**
 * Checks a login code inside the caller's transaction. Reads (counters,
 * factors) come first, then buffered writes (factor step, counters).
 */
export async function verifyTotpInTx(
  tx: Pick<TxRepos, 'mfaFactors' | 'mfaAttempts'>,
  deps: Pick<MfaDeps, 'crypto' | 'cipher'>,
  input: VerifyTotpInput & { readonly nowMs: number },
): Promise<VerifyTotpOutcome> {
  if (!isTotpCode(input.code)) return { kind: 'malformed' };
  const state = await readAttempts(tx, input.tenantId, input.userId, input.mfaTokenHash);
  const factors = await tx.mfaFactors.listForUser(input.tenantId, input.userId);
  const refusal = attemptRefusal(state, input.nowMs);
  if (refusal !== undefined) return refusal;
  const factor = confirmedOf(factors, 'totp').at(-1);
  const match = factor === undefined ? undefined : await matchFactorCode(deps, factor, input.code, input.nowMs);
  if (factor === undefined || match === undefined || match.kind !== 'match') {
    writeFailure(tx, state, input.nowMs);
    return factor === undefined ? { kind: 'no_factor' } : { kind: match?.kind === 'replayed' ? 'replayed' : 'invalid_code' };
  }
  tx.mfaFactors.put(acceptStep(factor, match.step, new Date(input.nowMs).toISOString()));
  writeSuccess(tx, state);
  return { kind: 'verified', factorId: factor.factor_id, step: match.step };
}

/** Checks a login code in a transaction of its own (an unknown tenant has no factor). */
export async function verifyTotp(
  deps: Pick<MfaDeps, 'uow' | 'directory' | 'clock' | 'crypto' | 'cipher'>,
  input: VerifyTotpInput,
): Promise<VerifyTotpOutcome> {
  if (!isTotpCode(input.code)) return { kind: 'malformed' };
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'no_factor' };
  return deps.uow.run(region, (tx) => verifyTotpInTx(tx, deps, { ...input, nowMs: deps.clock.now() }));
}
