/**
 * Wiring of the MFA crypto ports for a function: `createMfaCryptoDeps(source)`
 * at module scope gives `crypto`, `cipher` and `recoveryPepper` of `MfaDeps`.
 * Secrets are read on first use and cached per process.
 *
 * Secret names (docs/mfa.md): the KEK `iam-mfa-kek` and the recovery-code
 * pepper `iam-mfa-recovery-pepper`, each 32 bytes (raw, or base64/base64url
 * text). In production name pinned versions; rotation adds the new one as
 * `current` and keeps the old one in `previous`.
 */
import type { MfaDeps } from '../../domain/mfa/mfa-deps.ts';
import type { SecretSource } from '../../domain/ports.ts';
import { ensureLocalSecret } from '../local/local-secret-source.ts';
import { createEnvelopeCipher } from './envelope-cipher.ts';
import { nodeMfaCrypto } from './mfa-crypto.ts';
import { createSecretKeyRing, type SecretKeyRingOptions } from './secret-key-ring.ts';

/** The default secret name of the TOTP key-encryption key. */
export const DEFAULT_MFA_KEK_SECRET = 'iam-mfa-kek';
/** The default secret name of the recovery-code pepper. */
export const DEFAULT_MFA_PEPPER_SECRET = 'iam-mfa-recovery-pepper';

/** Which secrets hold the KEKs and the peppers. */
export interface MfaSecretNames {
  readonly kek: SecretKeyRingOptions;
  readonly pepper: SecretKeyRingOptions;
}

/** The default names, with nothing to rotate from. */
export const DEFAULT_MFA_SECRET_NAMES: MfaSecretNames = { kek: { current: DEFAULT_MFA_KEK_SECRET }, pepper: { current: DEFAULT_MFA_PEPPER_SECRET } };

/** The MFA crypto ports over a secret source. */
export function createMfaCryptoDeps(source: SecretSource, names: MfaSecretNames = DEFAULT_MFA_SECRET_NAMES): Pick<MfaDeps, 'crypto' | 'cipher' | 'recoveryPepper'> {
  return {
    crypto: nodeMfaCrypto,
    cipher: createEnvelopeCipher(createSecretKeyRing(source, names.kek)),
    recoveryPepper: createSecretKeyRing(source, names.pepper),
  };
}

/**
 * Dev only (`npm start`): makes sure the local secret directory holds the
 * current KEK and pepper (32 random bytes each, created once, kept across
 * restarts so stored factors stay readable).
 */
export function ensureLocalMfaSecrets(dir: string, names: MfaSecretNames = DEFAULT_MFA_SECRET_NAMES): void {
  ensureLocalSecret(dir, names.kek.current);
  ensureLocalSecret(dir, names.pepper.current);
}
