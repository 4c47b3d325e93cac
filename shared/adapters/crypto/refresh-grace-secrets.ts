/**
 * Wiring of the refresh grace window's cipher (docs/sessions.md): the
 * envelope cipher (`envelope-cipher.ts`, AES-256-GCM, a fresh data key per
 * record) under its OWN key-encryption key, the secret `iam-refresh-grace-kek`
 * (32 bytes; raw, or base64/base64url text). A separate KEK keeps the
 * short-lived successors apart from the MFA secrets: either can be rotated or
 * shredded without touching the other. Rotation: add the new secret as
 * `current`, keep the old one in `previous` for one grace window (seconds).
 */
import type { SecretCipher, SecretSource } from '../../domain/ports.ts';
import { ensureLocalSecret } from '../local/local-secret-source.ts';
import { createEnvelopeCipher } from './envelope-cipher.ts';
import { createSecretKeyRing, type SecretKeyRingOptions } from './secret-key-ring.ts';

/** The default secret name of the grace window's key-encryption key. */
export const DEFAULT_REFRESH_GRACE_KEK_SECRET = 'iam-refresh-grace-kek';

/** The default names, with nothing to rotate from. */
export const DEFAULT_REFRESH_GRACE_KEK: SecretKeyRingOptions = { current: DEFAULT_REFRESH_GRACE_KEK_SECRET };

/** The grace window's cipher over a secret source (the key is read on first use, then cached). */
export function createRefreshGraceCipher(source: SecretSource, kek: SecretKeyRingOptions = DEFAULT_REFRESH_GRACE_KEK): SecretCipher {
  return createEnvelopeCipher(createSecretKeyRing(source, kek));
}

/** Dev only (`npm start`, e2e tests): makes sure the local secret directory holds the grace KEK. */
export function ensureLocalRefreshGraceSecret(dir: string, kek: SecretKeyRingOptions = DEFAULT_REFRESH_GRACE_KEK): void {
  ensureLocalSecret(dir, kek.current);
}
