/**
 * Lifts every lockout of an account, from every IP: what an admin unlock
 * (`accounts`) and a redeemed magic link do.
 */
import type { TxRepos } from '../ports.ts';
import { lockoutEmailHash } from './lockout.ts';

/**
 * Clears every lockout counter of `email` (normalised) in `tenantId`, inside
 * the caller's transaction. It READS (a query), so call it after the
 * transaction's other reads and before its writes. Returns how many counters
 * there were.
 */
export async function clearLockouts(tx: Pick<TxRepos, 'lockouts'>, tenantId: string, email: string): Promise<number> {
  return tx.lockouts.clearAccount(tenantId, await lockoutEmailHash(email));
}
