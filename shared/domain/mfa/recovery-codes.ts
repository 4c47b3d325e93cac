/**
 * Recovery codes (SPEC section 4 item 5): ten single-use codes per user,
 * shown once, stored only as keyed hashes.
 *
 * - A code is 10 symbols of Crockford's base32 alphabet (50 bits), shown as
 *   `XXXXX-XXXXX`. Input is read leniently the Crockford way: case, spaces
 *   and hyphens do not matter, `O` reads as `0`, `I` and `L` as `1`.
 * - Stored: HMAC-SHA256(pepper, label || per-set salt || code). The pepper is
 *   a Secret Manager secret that never enters Firestore, so a database dump
 *   alone cannot test a single guess. Why a fast keyed hash suffices for
 *   50-bit random codes, where passwords need Argon2id: docs/mfa.md.
 * - One set per user: writing a new set replaces (voids) the old one whole.
 */
import { base64urlEncode } from '../keys/base64url.ts';
import type { MfaCrypto, Random } from '../ports.ts';

/** Codes in a set. */
export const RECOVERY_CODE_COUNT = 10;
/** Symbols in a code (5 bits each: 50 bits). */
export const RECOVERY_CODE_LENGTH = 10;
/** Crockford's base32 alphabet: no I, L, O or U, so nothing reads as something else. */
export const RECOVERY_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Bytes of a set's salt. */
export const RECOVERY_SALT_BYTES = 16;

/** One stored code: its keyed hash, and when it was used. */
export interface RecoveryCodeEntry {
  /** base64url HMAC-SHA256 (see the module comment). */
  readonly hash: string;
  readonly used_at: string | null;
}

/** A user's recovery codes. The codes themselves are never stored. */
export interface RecoveryCodeSet {
  readonly tenant_id: string;
  readonly user_id: string;
  /** Opaque id of this generation (events name it). */
  readonly set_id: string;
  readonly created_at: string;
  /** The id of the pepper (`SecretKeyRing`) the hashes were made with. */
  readonly pepper_id: string;
  /** base64url per-set salt. */
  readonly salt: string;
  readonly codes: readonly RecoveryCodeEntry[];
}

/** A fresh code in its display form `XXXXX-XXXXX`. Uniform: 256 is a multiple of 32, so `byte & 31` has no bias. */
export function newRecoveryCode(random: Random): string {
  const bytes = random.bytes(RECOVERY_CODE_LENGTH);
  if (bytes.length !== RECOVERY_CODE_LENGTH) throw new Error(`Random returned ${bytes.length} bytes, not ${RECOVERY_CODE_LENGTH}`);
  const symbols = [...bytes].map((b) => RECOVERY_CODE_ALPHABET.charAt(b & 31)).join('');
  return `${symbols.slice(0, 5)}-${symbols.slice(5)}`;
}

const CONFUSABLE: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };
const CANONICAL = new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`);

/**
 * The canonical form of a typed code (upper case, no separators, confusable
 * letters mapped), or `undefined` when it cannot be a recovery code: callers
 * answer that `invalid_request` without counting an attempt.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  if (input.length > 32) return undefined;
  const compact = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (c) => CONFUSABLE[c] ?? c);
  return CANONICAL.test(compact) ? compact : undefined;
}

/** The stored hash of a canonical code: base64url HMAC-SHA256(pepper, label || 0 || salt || code). */
export async function hashRecoveryCode(crypto: Pick<MfaCrypto, 'hmac'>, pepper: Uint8Array, salt: Uint8Array, canonical: string): Promise<string> {
  const label = new TextEncoder().encode('iam.recovery_code.v1\u0000');
  const code = new TextEncoder().encode(canonical);
  const message = new Uint8Array(label.length + salt.length + code.length);
  message.set(label, 0);
  message.set(salt, label.length);
  message.set(code, label.length + salt.length);
  return base64urlEncode(await crypto.hmac('SHA256', pepper, message));
}

/** How many codes of a set are still unused. */
export function remainingCodes(set: RecoveryCodeSet): number {
  return set.codes.filter((c) => c.used_at === null).length;
}
