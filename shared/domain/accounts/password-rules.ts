/**
 * Password rules after NIST SP 800-63B (rev. 3 §5.1.1.2, rev. 4 §3.1.1.2):
 * a minimum length, long passphrases allowed, no composition rules, no
 * truncation, Unicode accepted and normalised. The breach check (the other
 * half of the SP 800-63B blocklist requirement) is the `BreachList` port; the
 * use case that sets a password runs it after these rules pass.
 *
 * Pure: no I/O. Outcomes are values, never exceptions.
 */

/** The smallest minimum a tenant may configure: SP 800-63B "SHALL be at least 8 characters". */
export const MIN_PASSWORD_LENGTH_FLOOR = 8;
/** Our default minimum length, in characters (Unicode code points). */
export const DEFAULT_MIN_PASSWORD_LENGTH = 12;
/**
 * The largest password we accept, in UTF-8 bytes of the normalised form.
 * SP 800-63B asks for at least 64 characters; 1024 bytes leaves room for long
 * passphrases in any script while bounding the work one request can cause.
 */
export const MAX_PASSWORD_BYTES = 1024;
/**
 * Raw inputs longer than this many UTF-16 code units are refused before
 * normalisation, so a hostile input cannot make NFKC expand megabytes (one
 * code point can become 18). NFKC shrinks a string at most twofold in this
 * measure (a 2-unit mathematical letter becomes 1 ASCII byte), so no input
 * whose normal form fits {@link MAX_PASSWORD_BYTES} is refused by this bound.
 */
const MAX_RAW_UNITS = 4 * MAX_PASSWORD_BYTES;

/** The password part of a policy. */
export interface PasswordPolicy {
  /** Minimum length in Unicode code points after normalisation; at least 8. */
  readonly min_length: number;
}

/** The default password policy: 12 characters minimum. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { min_length: DEFAULT_MIN_PASSWORD_LENGTH };

/**
 * What {@link checkPassword} found. `ok` carries the normalised password: hash
 * exactly that. Handlers map every other outcome to a 400: where a password is
 * set, `weak_password` with a `reason` (`too_short`, `too_long`); see
 * docs/passwords.md for the login side.
 */
export type PasswordCheck =
  | { readonly kind: 'ok'; readonly password: string }
  | { readonly kind: 'too_short'; readonly min_length: number; readonly length: number }
  | { readonly kind: 'too_long'; readonly max_bytes: number }
  | { readonly kind: 'malformed' };

const encoder = new TextEncoder();

/** The UTF-8 length of a string in bytes. */
export function utf8Length(s: string): number {
  return encoder.encode(s).byteLength;
}

/**
 * Normalises a password before it is hashed or verified.
 *
 * SP 800-63B §5.1.1.2: "the verifier SHOULD apply the Normalization Process
 * for Stabilized Strings using either the NFKC or NFKD normalization defined
 * in Section 12.1 of Unicode Standard Annex 15". We use NFKC, so a password
 * typed as full-width or composed characters on one keyboard verifies when
 * typed decomposed on another. Ill-formed UTF-16 (lone surrogates) is made
 * well-formed first (U+FFFD), so the encoding to bytes is total. Nothing is
 * trimmed or truncated ("truncation of the secret SHALL NOT be performed").
 *
 * Login calls this (not {@link checkPassword}: rules may change after a
 * password was set, and an old password must still verify).
 */
export function normalizePassword(password: string): string {
  return password.toWellFormed().normalize('NFKC');
}

/**
 * Checks a new password against the rules and returns its normalised form.
 * No composition rules (SP 800-63B: "Verifiers SHOULD NOT impose other
 * composition rules"), no hints, no periodic change.
 */
export function checkPassword(password: string, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): PasswordCheck {
  if (password.length > MAX_RAW_UNITS) return { kind: 'too_long', max_bytes: MAX_PASSWORD_BYTES };
  if (!password.isWellFormed()) return { kind: 'malformed' };
  const normalized = normalizePassword(password);
  if (utf8Length(normalized) > MAX_PASSWORD_BYTES) return { kind: 'too_long', max_bytes: MAX_PASSWORD_BYTES };
  const min = effectiveMinLength(policy);
  // SP 800-63B-4 §3.1.1.2: "each Unicode code point SHALL be counted as a single character".
  const length = [...normalized].length;
  if (length < min) return { kind: 'too_short', min_length: min, length };
  return { kind: 'ok', password: normalized };
}

/** The policy's minimum, never below the SP 800-63B floor of 8. */
export function effectiveMinLength(policy: PasswordPolicy): number {
  return Math.max(MIN_PASSWORD_LENGTH_FLOOR, Math.floor(policy.min_length));
}
