/**
 * What the MFA use cases need. One object, plain ports (STYLE 6); each use
 * case takes the `Pick` it uses. Wiring: `shared/adapters/crypto/` for
 * `crypto`, `cipher` and `recoveryPepper` (docs/mfa.md, "Wiring").
 */
import type { Clock, MfaCrypto, Random, SecretCipher, SecretKeyRing, TenantDirectory, UnitOfWork } from '../ports.ts';

/** The ports of the MFA use cases. */
export interface MfaDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  /** HMAC, constant-time compare, base32. */
  readonly crypto: MfaCrypto;
  /** Envelope encryption of TOTP secrets. */
  readonly cipher: SecretCipher;
  /** The pepper of recovery-code hashes. */
  readonly recoveryPepper: SecretKeyRing;
}
