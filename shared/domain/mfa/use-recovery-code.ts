/**
 * A recovery code that finishes a login (`POST /v1/mfa/verify` with
 * `method: "recovery_code"`; SPEC section 3).
 *
 * In one serialisable transaction, with the same attempt limits as TOTP
 * (`attempts.ts`): the typed code's keyed hash is compared, in constant time,
 * with every code of the user's set; an unused match is marked used (single
 * use: two parallel uses of one code succeed once), the counters are reset,
 * and `iam.mfa.recovery_code_used.v1` and the audit event are written. A
 * used code, a wrong code, a code of another user or no set at all count one
 * failure.
 *
 * `useRecoveryCodeInTx` works inside the caller's transaction (call it after
 * the caller's reads, before its writes). It never writes the user: a set
 * whose codes are all used stays listed in `mfa_methods` until it is
 * regenerated, and `remaining` tells the client to do so.
 */
import { base64urlDecode } from '../keys/base64url.ts';
import type { Actor } from '../outbox/event.ts';
import type { TxRepos } from '../ports.ts';
import { attemptRefusal, readAttempts, writeFailure, writeSuccess, type AttemptRefusal } from './attempt-counters.ts';
import type { MfaDeps } from './mfa-deps.ts';
import { recordMfaChange } from './mfa-events.ts';
import { hashRecoveryCode, normalizeRecoveryCode, remainingCodes, type RecoveryCodeSet } from './recovery-codes.ts';

/** The attempt, from `mfa-verify`. */
export interface UseRecoveryCodeInput {
  readonly tenantId: string;
  readonly userId: string;
  /** The hash of the `mfa_token` this attempt comes with. */
  readonly mfaTokenHash: string;
  /** As typed (case, spaces and hyphens do not matter). */
  readonly code: string;
  readonly requestId: string | null;
}

/** What a recovery code found. Everything but `verified` and `malformed` counted as a failure. */
export type UseRecoveryCodeOutcome =
  | { readonly kind: 'verified'; readonly setId: string; readonly remaining: number }
  /** Cannot be a recovery code: `invalid_request`, not counted. */
  | { readonly kind: 'malformed' }
  | AttemptRefusal
  /** A code of the set that was used before. */
  | { readonly kind: 'used_code' }
  /** Not a code of this user's current set (or the user has none). */
  | { readonly kind: 'invalid_code' };

/** The index of the entry whose hash is `hash`, comparing with every entry in constant time. */
function findEntry(deps: Pick<MfaDeps, 'crypto'>, set: RecoveryCodeSet, hash: string): number {
  const wanted = base64urlDecode(hash) ?? new Uint8Array(0);
  let found = -1;
  set.codes.forEach((c, i) => {
    if (deps.crypto.equal(base64urlDecode(c.hash) ?? new Uint8Array(0), wanted) && found === -1) found = i;
  });
  return found;
}

/** Checks a recovery code inside the caller's transaction. */
export async function useRecoveryCodeInTx(
  tx: Pick<TxRepos, 'recoveryCodes' | 'mfaAttempts' | 'outbox' | 'audit'>,
  deps: Pick<MfaDeps, 'crypto' | 'recoveryPepper' | 'random'>,
  input: UseRecoveryCodeInput & { readonly nowMs: number },
): Promise<UseRecoveryCodeOutcome> {
  const canonical = normalizeRecoveryCode(input.code);
  if (canonical === undefined) return { kind: 'malformed' };
  const state = await readAttempts(tx, input.tenantId, input.userId, input.mfaTokenHash);
  const set = await tx.recoveryCodes.get(input.tenantId, input.userId);
  const refusal = attemptRefusal(state, input.nowMs);
  if (refusal !== undefined) return refusal;
  let index = -1;
  if (set !== undefined) {
    const pepper = await deps.recoveryPepper.get(set.pepper_id);
    if (pepper === undefined) throw new Error(`recovery-code pepper '${set.pepper_id}' is not configured`);
    const salt = base64urlDecode(set.salt);
    if (salt === undefined) throw new Error('stored recovery-code salt is not base64url');
    index = findEntry(deps, set, await hashRecoveryCode(deps.crypto, pepper, salt, canonical));
  }
  const entry = set?.codes[index];
  if (set === undefined || entry === undefined || entry.used_at !== null) {
    writeFailure(tx, state, input.nowMs);
    return { kind: entry === undefined ? 'invalid_code' : 'used_code' };
  }
  const now = new Date(input.nowMs).toISOString();
  const used: RecoveryCodeSet = { ...set, codes: set.codes.map((c, i) => (i === index ? { ...c, used_at: now } : c)) };
  tx.recoveryCodes.put(used);
  writeSuccess(tx, state);
  const remaining = remainingCodes(used);
  const actor: Actor = { type: 'user', id: input.userId };
  recordMfaChange(tx, deps.random, {
    tenantId: input.tenantId,
    userId: input.userId,
    type: 'iam.mfa.recovery_code_used.v1',
    data: { set_id: set.set_id, remaining },
    action: 'mfa.recovery_code.used',
    actor,
    requestId: input.requestId,
    details: { set_id: set.set_id, remaining },
    at: now,
  });
  return { kind: 'verified', setId: set.set_id, remaining };
}

/** Checks a recovery code in a transaction of its own (an unknown tenant has no codes). */
export async function useRecoveryCode(
  deps: Pick<MfaDeps, 'uow' | 'directory' | 'clock' | 'crypto' | 'recoveryPepper' | 'random'>,
  input: UseRecoveryCodeInput,
): Promise<UseRecoveryCodeOutcome> {
  if (normalizeRecoveryCode(input.code) === undefined) return { kind: 'malformed' };
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'invalid_code' };
  return deps.uow.run(region, (tx) => useRecoveryCodeInTx(tx, deps, { ...input, nowMs: deps.clock.now() }));
}
