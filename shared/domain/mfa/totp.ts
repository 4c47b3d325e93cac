/**
 * TOTP (RFC 6238) over HOTP (RFC 4226), pure: the HMAC and the constant-time
 * comparison come through the {@link MfaCrypto} port, so the domain needs no
 * `node:crypto`.
 *
 * Decisions (docs/mfa.md):
 * - T0 = 0 and X = 30 s, 6 digits, SHA1 for enrolled factors: the defaults of
 *   RFC 6238 §4.1 and the only form every authenticator app reads.
 * - A window of one step either side (RFC 6238 §5.2: "We RECOMMEND that at
 *   most one time step is allowed as the network delay").
 * - A step at or below the last accepted one is refused (replay, §5.2).
 */
import type { HmacAlgorithm, MfaCrypto } from '../ports.ts';
import type { TotpAlgorithm } from './factor.ts';

/** The time step X in seconds (RFC 6238 §4.1 default). */
export const TOTP_PERIOD_SECONDS = 30;
/** Digits of an enrolled factor's codes. */
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW_STEPS = 1;
/**
 * Secret length per hash: the hash's output size, as the RFC 6238 Appendix B
 * seeds are (20, 32 and 64 bytes); RFC 4226 §4 R6 asks for at least 128 and
 * recommends 160 bits.
 */
export const TOTP_SECRET_BYTES: Readonly<Record<TotpAlgorithm, number>> = { SHA1: 20, SHA256: 32, SHA512: 64 };

/** The parameters of one TOTP generator. */
export interface TotpParams {
  readonly algorithm: TotpAlgorithm;
  /** The shared secret K (raw bytes). */
  readonly key: Uint8Array;
  /** 6 to 8 (RFC 4226 §5.3 R4 needs at least 6). */
  readonly digits: number;
  /** X, seconds. */
  readonly period: number;
}

const DIGITS_OF_A_CODE = /^[0-9]{6}$/;

/**
 * True when `code` has the form of an enrolled factor's code: exactly six
 * ASCII digits, nothing else (no spaces, no signs, no full-width digits).
 * Callers answer anything else `invalid_request` without counting an attempt.
 */
export function isTotpCode(code: string): boolean {
  return DIGITS_OF_A_CODE.test(code);
}

/** The time step T of an instant: floor((unixtime - T0) / X) with T0 = 0 (RFC 6238 §4.2). */
export function timeStep(nowMs: number, period: number = TOTP_PERIOD_SECONDS): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The 8-byte big-endian counter C (RFC 4226 §5.1), exact up to 2^53. */
function counterBytes(counter: number): Uint8Array {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`invalid HOTP counter ${counter}`);
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  return out;
}

/**
 * HOTP(K, C) = Truncate(HMAC(K, C)) mod 10^Digit (RFC 4226 §5.3), with the
 * dynamic truncation of §5.4 (the offset is the low nibble of the last byte,
 * for every hash: RFC 6238 §1.2).
 */
export async function hotp(crypto: Pick<MfaCrypto, 'hmac'>, p: Omit<TotpParams, 'period'> & { readonly counter: number }): Promise<string> {
  if (!Number.isInteger(p.digits) || p.digits < 6 || p.digits > 8) throw new RangeError(`HOTP digits must be 6 to 8, not ${p.digits}`);
  const hs = await crypto.hmac(p.algorithm satisfies HmacAlgorithm, p.key, counterBytes(p.counter));
  const offset = (hs[hs.length - 1] as number) & 0x0f;
  const bin =
    (((hs[offset] as number) & 0x7f) << 24) |
    (((hs[offset + 1] as number) & 0xff) << 16) |
    (((hs[offset + 2] as number) & 0xff) << 8) |
    ((hs[offset + 3] as number) & 0xff);
  return String(bin % 10 ** p.digits).padStart(p.digits, '0');
}

/** The TOTP code of the step `step` (RFC 6238 §4.2: TOTP = HOTP(K, T)). */
export function totpOfStep(crypto: Pick<MfaCrypto, 'hmac'>, p: TotpParams, step: number): Promise<string> {
  return hotp(crypto, { algorithm: p.algorithm, key: p.key, digits: p.digits, counter: step });
}

/** The TOTP code at an instant. */
export function totpAt(crypto: Pick<MfaCrypto, 'hmac'>, p: TotpParams, nowMs: number): Promise<string> {
  return totpOfStep(crypto, p, timeStep(nowMs, p.period));
}

/** What checking one code against a secret found. */
export type TotpMatch =
  /** The code of `step`, a step never accepted before. */
  | { readonly kind: 'match'; readonly step: number }
  /** The code of a step at or below the last accepted one. */
  | { readonly kind: 'replayed'; readonly step: number }
  | { readonly kind: 'invalid_code' };

/**
 * Checks `code` against the steps T-1, T and T+1. Every candidate is
 * computed and compared in constant time, whatever matches, so the time taken
 * says nothing about which step (if any) matched. Of the matching steps the
 * newest one above `lastUsedStep` is taken; a code matching only steps at or
 * below it is a replay.
 */
export async function matchTotp(
  crypto: Pick<MfaCrypto, 'hmac' | 'equal'>,
  p: TotpParams & { readonly lastUsedStep: number | null },
  code: string,
  nowMs: number,
): Promise<TotpMatch> {
  const given = new TextEncoder().encode(code);
  const now = timeStep(nowMs, p.period);
  const steps: number[] = [];
  for (let s = now - TOTP_WINDOW_STEPS; s <= now + TOTP_WINDOW_STEPS; s++) if (s >= 0) steps.push(s);
  const candidates = await Promise.all(steps.map((s) => totpOfStep(crypto, p, s)));
  const matched = steps.filter((_, i) => crypto.equal(new TextEncoder().encode(candidates[i]), given));
  const fresh = matched.filter((s) => p.lastUsedStep === null || s > p.lastUsedStep);
  if (fresh.length > 0) return { kind: 'match', step: Math.max(...fresh) };
  if (matched.length > 0) return { kind: 'replayed', step: Math.max(...matched) };
  return { kind: 'invalid_code' };
}

/** What an `otpauth://` URI carries. */
export interface OtpauthUriInput {
  /** The service name shown by the app, e.g. `Melmastoon`. Must not contain a colon. */
  readonly issuer: string;
  /** The account, e.g. the user's email. Must not contain a colon. */
  readonly account: string;
  /** The secret in base32 without padding. */
  readonly secretBase32: string;
  readonly algorithm: TotpAlgorithm;
  readonly digits: number;
  readonly period: number;
}

/**
 * The Key Uri Format of Google Authenticator:
 * `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
 * "Neither issuer nor account name may themselves contain a colon", so a
 * colon there is a bug of the caller and throws. Both are percent-encoded
 * (RFC 3986); the secret is base32 without padding.
 */
export function otpauthUri(u: OtpauthUriInput): string {
  if (u.issuer.includes(':') || u.account.includes(':')) throw new TypeError('otpauth issuer and account must not contain a colon');
  if (u.issuer.length === 0 || u.account.length === 0) throw new TypeError('otpauth issuer and account must not be empty');
  if (!/^[A-Z2-7]+$/.test(u.secretBase32)) throw new TypeError('otpauth secret must be unpadded upper-case base32');
  const label = `${encodeURIComponent(u.issuer)}:${encodeURIComponent(u.account)}`;
  const query = `secret=${u.secretBase32}&issuer=${encodeURIComponent(u.issuer)}&algorithm=${u.algorithm}&digits=${u.digits}&period=${u.period}`;
  return `otpauth://totp/${label}?${query}`;
}
