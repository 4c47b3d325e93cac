/**
 * base64url without padding (RFC 4648 §5), as JWS needs it (RFC 7515 §2).
 * Hand-written because the domain is pure: no `Buffer`, no SDK.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ch = (n: number): string => ALPHABET.charAt(n & 63);
const INDEX: Readonly<Record<string, number>> = Object.fromEntries([...ALPHABET].map((c, i) => [c, i]));

/** Encodes bytes as base64url without padding. */
export function base64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += ch(n >> 18) + ch(n >> 12) + ch(n >> 6) + ch(n);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += ch(n >> 18) + ch(n >> 12);
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += ch(n >> 18) + ch(n >> 12) + ch(n >> 6);
  }
  return out;
}

/**
 * Decodes base64url without padding. Returns `undefined` for anything that is
 * not canonical base64url: padding, other alphabets, a dangling character, or
 * non-zero trailing bits (so one value has exactly one encoding).
 */
export function base64urlDecode(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const c of text) {
    const v = INDEX[c];
    if (v === undefined) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) return undefined;
  return out;
}

/** UTF-8 bytes of a string, base64url-encoded. */
export function base64urlEncodeText(text: string): string {
  return base64urlEncode(new TextEncoder().encode(text));
}
