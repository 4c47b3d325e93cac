/**
 * ECDSA signature encodings. Cloud KMS returns the ASN.1 DER form
 * `SEQUENCE { INTEGER r, INTEGER s }` (RFC 3279 §2.2.3); JWS ES256 needs the
 * fixed-width r||s form (RFC 7518 §3.4, "P1363"). Hand-written: it is one
 * small, strict structure, and no library here converts it.
 */

/** The order n of P-256 (SEC 2 §2.4.2), big-endian. */
const P256_ORDER = hex('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** Thrown when a signature is not strict DER, or its integers are out of range. */
export class DerSignatureError extends Error {
  override readonly name = 'DerSignatureError';
}

/**
 * Converts a strict-DER ECDSA P-256 signature to the 64-byte r||s form.
 * Refuses anything a DER encoder would not produce: long-form lengths,
 * trailing bytes, negative or non-minimal integers, and r or s outside [1, n-1].
 */
export function derToP1363(der: Uint8Array): Uint8Array {
  const size = 32;
  const fail = (why: string): never => {
    throw new DerSignatureError(`invalid DER ECDSA signature: ${why}`);
  };
  if (der.length < 8) fail('too short');
  if (der[0] !== 0x30) fail('not a SEQUENCE');
  // X.690 §10.1: DER uses the shortest length form; a P-256 signature is at most 72 bytes.
  const seqLength = der[1] as number;
  if (seqLength >= 0x80) fail('long-form or indefinite length');
  if (seqLength !== der.length - 2) fail('length does not match the bytes');
  const out = new Uint8Array(size * 2);
  let offset = 2;
  for (const [index, name] of [[0, 'r'], [1, 's']] as const) {
    if (der[offset] !== 0x02) fail(`${name} is not an INTEGER`);
    const length = der[offset + 1] as number;
    if (length === 0 || length >= 0x80) fail(`${name} has a bad length`);
    const start = offset + 2;
    const end = start + length;
    if (end > der.length) fail(`${name} runs past the end`);
    let value = der.subarray(start, end);
    // X.690 §8.3.2: no redundant leading 0x00; a set high bit would make it negative.
    if ((value[0] as number) & 0x80) fail(`${name} is negative`);
    if (value[0] === 0x00 && value.length > 1) {
      if (!((value[1] as number) & 0x80)) fail(`${name} is not minimally encoded`);
      value = value.subarray(1);
    }
    if (value.length > size) fail(`${name} is longer than 32 bytes`);
    const padded = new Uint8Array(size);
    padded.set(value, size - value.length);
    if (padded.every((b) => b === 0)) fail(`${name} is zero`);
    if (compare(padded, P256_ORDER) >= 0) fail(`${name} is not below the group order`);
    out.set(padded, index * size);
    offset = end;
  }
  if (offset !== der.length) fail('trailing bytes inside the SEQUENCE');
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}
