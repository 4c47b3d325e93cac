/**
 * The transactional half of the attempt limits (`attempts.ts`): read both
 * counters with the transaction's other reads, then buffer a failure or a
 * reset with its writes. Used by `verifyTotp` and `useRecoveryCode`, so a
 * guess at either method counts against the same limits.
 */
import type { TxRepos } from '../ports.ts';
import { attemptKeys, checkAttempts, countFailure, type AttemptGate, type AttemptKeys, type MfaAttemptCounter } from './attempts.ts';

/** The counters of one attempt, as read in the transaction. */
export interface AttemptState {
  readonly userId: string;
  readonly keys: AttemptKeys;
  readonly token: MfaAttemptCounter | undefined;
  readonly user: MfaAttemptCounter | undefined;
}

/** The refusals of the gate. */
export type AttemptRefusal = Exclude<AttemptGate, { kind: 'open' }>;

/** Reads the `mfa_token`'s and the user's counters (reads only). */
export async function readAttempts(tx: Pick<TxRepos, 'mfaAttempts'>, tenantId: string, userId: string, mfaTokenHash: string): Promise<AttemptState> {
  const keys = attemptKeys(tenantId, userId, mfaTokenHash);
  const [token, user] = await Promise.all([tx.mfaAttempts.get(keys.token), tx.mfaAttempts.get(keys.user)]);
  return { userId, keys, token, user };
}

/** The gate's refusal, or undefined when the attempt may be checked. */
export function attemptRefusal(state: AttemptState, nowMs: number): AttemptRefusal | undefined {
  const gate = checkAttempts(state.token, state.user, nowMs);
  return gate.kind === 'open' ? undefined : gate;
}

/** Buffers one more failure on both counters. */
export function writeFailure(tx: Pick<TxRepos, 'mfaAttempts'>, state: AttemptState, nowMs: number): void {
  const next = countFailure(state.keys, state.userId, state, nowMs);
  tx.mfaAttempts.put(next.token);
  tx.mfaAttempts.put(next.user);
}

/** Buffers the reset of both counters after a success. */
export function writeSuccess(tx: Pick<TxRepos, 'mfaAttempts'>, state: AttemptState): void {
  if (state.token !== undefined) tx.mfaAttempts.reset(state.keys.token);
  if (state.user !== undefined) tx.mfaAttempts.reset(state.keys.user);
}
