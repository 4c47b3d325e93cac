/**
 * The {@link MfaCrypto} port on `node:crypto` (HMAC, `timingSafeEqual`) and
 * `@scure/base` (RFC 4648 base32).
 *
 * Why a library for base32: SPEC section 1 allows hand-written encodings only
 * where no well-kept library exists, and `@scure/base` is one: audited,
 * zero-dependency, ESM, maintained with the noble crypto libraries, and
 * strict (it refuses non-zero padding bits and foreign letters). The domain
 * may import only valibot, so it reaches base32 through this port.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { base32, base32nopad } from '@scure/base';
import type { HmacAlgorithm, MfaCrypto } from '../../domain/ports.ts';

const NODE_ALG: Readonly<Record<HmacAlgorithm, string>> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** {@link MfaCrypto} on Node's crypto and `@scure/base`. Stateless: one shared instance. */
export const nodeMfaCrypto: MfaCrypto = {
  async hmac(alg, key, message) {
    const name = NODE_ALG[alg];
    if (name === undefined) throw new TypeError(`unsupported HMAC algorithm '${String(alg)}'`);
    return new Uint8Array(createHmac(name, key).update(message).digest());
  },
  equal(a, b) {
    // timingSafeEqual needs equal lengths; a length says nothing secret here (codes have a fixed form).
    return a.length === b.length && timingSafeEqual(a, b);
  },
  base32Encode(bytes) {
    return base32nopad.encode(bytes);
  },
  base32Decode(text) {
    try {
      return text.includes('=') ? base32.decode(text) : base32nopad.decode(text);
    } catch {
      return undefined;
    }
  },
};
