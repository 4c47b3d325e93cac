/**
 * Second factors (SPEC section 4 item 5; risks ): one record per
 * factor in `mfa_factors`, TOTP and WebAuthn alike. A factor is `pending`
 * from enrolment until the user proves it once, then `confirmed`; only
 * confirmed factors count at login (`user.mfa_methods`).
 */

/** The kinds of stored factor. Recovery codes are a set of their own (`recovery-codes.ts`). */
export type FactorType = 'totp' | 'webauthn';

/** A factor's life: enrolled but unproven, or proven once and usable. */
export type FactorStatus = 'pending' | 'confirmed';

/**
 * A secret encrypted at rest by the envelope cipher (`SecretCipher`,
 * `shared/adapters/crypto/envelope-cipher.ts`): AES-256-GCM under a fresh
 * per-record data key, the data key wrapped by a key-encryption key (KEK)
 * from Secret Manager. The domain only stores and hands it back.
 */
export interface SealedSecret {
  /** Format version of this record. */
  readonly v: 1;
  readonly alg: 'A256GCM';
  /** Which KEK wrapped the data key: kept for rotation. */
  readonly kid: string;
  /** base64url of the wrapped data key: IV (12) || ciphertext (32) || tag (16). */
  readonly wrapped_key: string;
  /** base64url of the data IV (12 bytes). */
  readonly iv: string;
  /** base64url of ciphertext || tag (16). */
  readonly ciphertext: string;
}

/** What every factor records. */
export interface FactorBase {
  readonly tenant_id: string;
  readonly user_id: string;
  /** Opaque id (UUID): the document id. */
  readonly factor_id: string;
  readonly type: FactorType;
  readonly status: FactorStatus;
  readonly created_at: string;
  /** When the user first proved the factor; null while pending. */
  readonly confirmed_at: string | null;
  /** The last successful use (confirmation or login); null before. */
  readonly last_used_at: string | null;
}

/** The HMAC hash a TOTP factor uses (RFC 6238 §1.2). Enrolment makes SHA1 factors, the form every authenticator app reads. */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** A TOTP factor (RFC 6238). The secret is only ever stored sealed. */
export interface TotpFactor extends FactorBase {
  readonly type: 'totp';
  readonly secret: SealedSecret;
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6;
  /** The time step X in seconds (RFC 6238 §4.1). */
  readonly period: 30;
  /**
   * The highest time step ever accepted (confirmation included). Any code of a
   * step at or below it is refused: RFC 6238 §5.2, "the verifier MUST NOT
   * accept the second attempt of the OTP after the successful validation has
   * been issued for the first OTP".
   */
  readonly last_used_step: number | null;
}

/**
 * A WebAuthn credential (passkey or security key). The registration and
 * assertion use cases come with the WebAuthn work; the record's shape is
 * fixed here so both factor kinds share one collection.
 */
export interface WebAuthnFactor extends FactorBase {
  readonly type: 'webauthn';
  /** base64url credential id. */
  readonly credential_id: string;
  /** base64url COSE public key. */
  readonly public_key: string;
  /** The authenticator's signature counter (WebAuthn §6.1.1). */
  readonly sign_count: number;
  /** `AuthenticatorTransport` values reported at registration. */
  readonly transports: readonly string[];
  /** True when user verification was performed at registration. */
  readonly uv: boolean;
}

/** Any stored factor. */
export type MfaFactor = TotpFactor | WebAuthnFactor;

/**
 * The additional authenticated data of a factor's sealed secret. It binds the
 * ciphertext to (tenant, user, factor): a sealed secret copied to another
 * factor, user or tenant no longer decrypts. JSON of an array, so no two
 * triples share an encoding.
 */
export function factorSecretAad(factor: Pick<FactorBase, 'tenant_id' | 'user_id' | 'factor_id'>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['iam.mfa_factor.secret.v1', factor.tenant_id, factor.user_id, factor.factor_id]));
}

/** The user's confirmed factors of `type`. */
export function confirmedOf<T extends FactorType>(factors: readonly MfaFactor[], type: T): Extract<MfaFactor, { type: T }>[] {
  return factors.filter((f): f is Extract<MfaFactor, { type: T }> => f.type === type && f.status === 'confirmed');
}
