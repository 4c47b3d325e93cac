/**
 * A stored TOTP factor checked against a code: the secret is opened (AAD =
 * the factor's tenant, user and id) only for the check and wiped after it.
 * Shared by `confirmTotp` and `verifyTotp`.
 */
import type { MfaCrypto, SecretCipher } from '../ports.ts';
import { factorSecretAad, type TotpFactor } from './factor.ts';
import { matchTotp, type TotpMatch } from './totp.ts';

/** Checks `code` against `factor` at `nowMs` (±1 step, replay refused). A secret that does not open throws. */
export async function matchFactorCode(
  deps: { readonly crypto: Pick<MfaCrypto, 'hmac' | 'equal'>; readonly cipher: SecretCipher },
  factor: TotpFactor,
  code: string,
  nowMs: number,
): Promise<TotpMatch> {
  const key = await deps.cipher.open(factor.secret, factorSecretAad(factor));
  try {
    return await matchTotp(
      deps.crypto,
      { algorithm: factor.algorithm, key, digits: factor.digits, period: factor.period, lastUsedStep: factor.last_used_step },
      code,
      nowMs,
    );
  } finally {
    key.fill(0);
  }
}

/** The factor after an accepted code of `step`: the step is remembered so it can never be accepted again. */
export function acceptStep(factor: TotpFactor, step: number, now: string): TotpFactor {
  return { ...factor, last_used_step: step, last_used_at: now };
}
