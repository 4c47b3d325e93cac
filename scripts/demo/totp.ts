/**
 * RFC 6238 TOTP computed independently of the service (`node:crypto` HMAC,
 * `@scure/base` base32), the way an authenticator app does it: SHA1, 6 digits,
 * a 30 s step from T0 = 0 (RFC 6238 §4.1, the Key Uri Format defaults).
 */
import { createHmac } from 'node:crypto';
import { base32 } from '@scure/base';

/** The time step (RFC 6238 §4.1: X = 30 s). */
export const STEP_SECONDS = 30;

/** The step number at `nowMs` (RFC 6238 §4.2: T = floor((now - T0) / X)). */
export function stepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / STEP_SECONDS);
}

/** Decodes a base32 secret (RFC 4648 §6; padding optional, case-insensitive, spaces ignored). */
export function decodeBase32Secret(secret: string): Uint8Array {
  const clean = secret.replace(/\s+/g, '').toUpperCase().replace(/=+$/, '');
  const padded = clean + '='.repeat((8 - (clean.length % 8)) % 8);
  return base32.decode(padded);
}

/**
 * HOTP (RFC 4226 §5.3): HMAC over the 8-byte big-endian counter, dynamic
 * truncation, modulo 10^digits, left-padded with zeros.
 */
export function hotp(key: Uint8Array, counter: number, digits = 6, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = (((mac[offset] ?? 0) & 0x7f) << 24) | ((mac[offset + 1] ?? 0) << 16) | ((mac[offset + 2] ?? 0) << 8) | (mac[offset + 3] ?? 0);
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP code of `step` for a base32 secret (SHA1, 6 digits). */
export function totpCode(secretBase32: string, step: number): string {
  return hotp(decodeBase32Secret(secretBase32), step);
}
