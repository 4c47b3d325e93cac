/**
 * The `PasswordHasher` port on Node 24's native `crypto.argon2` (OpenSSL's
 * Argon2, run on the libuv thread pool). Formats: ./argon2-hasher-phc.ts and
 * docs/passwords.md.
 */
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { normalizePassword } from '../../domain/accounts/password-rules.ts';
import type { PasswordHasher } from '../../domain/ports.ts';
import {
  type Argon2Algorithm,
  KEYID,
  type Layer,
  decodeStoredHash,
  encodePlain,
  encodeWrapped,
} from './argon2-hasher-phc.ts';

export { PasswordHashFormatError } from './argon2-hasher-phc.ts';

/** Argon2id cost parameters of new hashes. */
export interface Argon2Params {
  /** Memory in KiB (`m`); at least 19456 (19 MiB). */
  readonly memoryKiB: number;
  /** Passes (`t`); at least 2. */
  readonly passes: number;
  /** Lanes (`p`); at least 1. */
  readonly parallelism: number;
}

/** The OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2ID: Argon2Params = { memoryKiB: 19_456, passes: 2, parallelism: 1 };
/** The bytes of every new hash (the tag). */
export const TAG_LENGTH = 32;
/** The bytes of every new salt (RFC 9106 §3.1 recommends 16). */
export const SALT_LENGTH = 16;

/** A pepper: an Argon2 `secret` kept outside the database (Secret Manager in production). */
export interface Pepper {
  /** Recorded in each hash as `keyid`, so a pepper can be rotated: 1-32 letters or digits. */
  readonly id: string;
  readonly secret: Uint8Array;
}

/** Options of {@link createArgon2Hasher}. */
export interface Argon2HasherOptions {
  /** The `hash_version` of new hashes; bump it whenever `params` or the pepper change. */
  readonly version: number;
  /** Cost of new hashes; the OWASP minimum by default. Lower values are refused. */
  readonly params?: Argon2Params;
  /** The pepper new hashes use. None by default: there is no default secret. */
  readonly pepper?: Pepper;
  /** Retired peppers, still needed to verify (and wrap) older hashes. */
  readonly retiredPeppers?: readonly Pepper[];
  /** Source of salts; the CSPRNG by default. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

/** The Argon2 hasher, with its current parameters visible for benches and tests. */
export interface Argon2Hasher extends PasswordHasher {
  readonly params: Argon2Params;
}

const encoder = new TextEncoder();

/** One native Argon2 computation. Exported for the bench and the interop tests. */
export function argon2Raw(
  algorithm: Argon2Algorithm,
  input: {
    readonly message: Uint8Array;
    readonly nonce: Uint8Array;
    readonly memoryKiB: number;
    readonly passes: number;
    readonly parallelism: number;
    readonly tagLength: number;
    readonly secret?: Uint8Array | undefined;
    readonly associatedData?: Uint8Array | undefined;
  },
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    argon2(
      algorithm,
      {
        message: input.message,
        nonce: input.nonce,
        memory: input.memoryKiB,
        passes: input.passes,
        parallelism: input.parallelism,
        tagLength: input.tagLength,
        ...(input.secret === undefined ? {} : { secret: input.secret }),
        ...(input.associatedData === undefined ? {} : { associatedData: input.associatedData }),
      },
      (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))),
    );
  });
}

/** Creates the Argon2id hasher. Throws on parameters below the OWASP minimum or a bad pepper. */
export function createArgon2Hasher(options: Argon2HasherOptions): Argon2Hasher {
  const params = options.params ?? OWASP_ARGON2ID;
  checkCurrentParams(params, options.version);
  const peppers = new Map<string, Uint8Array>();
  for (const p of [...(options.retiredPeppers ?? []), ...(options.pepper ? [options.pepper] : [])]) {
    if (!KEYID.test(p.id)) throw new Error('a pepper id is 1-32 letters or digits');
    if (p.secret.byteLength < 16) throw new Error('a pepper is at least 16 bytes');
    peppers.set(p.id, p.secret);
  }
  const currentKeyid = options.pepper?.id;
  const salt = options.randomBytes ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const newLayer = (): Layer => ({ algorithm: 'argon2id', ...params, tagLength: TAG_LENGTH, salt: salt(SALT_LENGTH), keyid: currentKeyid });

  const run = (layer: Layer, message: Uint8Array): Promise<Uint8Array> => {
    let secret: Uint8Array | undefined;
    if (layer.keyid !== undefined) {
      secret = peppers.get(layer.keyid);
      // A hash names a pepper we were not given: a deployment error, not a wrong password.
      if (secret === undefined) throw new Error(`the pepper "${layer.keyid}" is not configured`);
    }
    return argon2Raw(layer.algorithm, { message, nonce: layer.salt, ...layer, secret });
  };
  const isCurrent = (l: Layer): boolean =>
    l.algorithm === 'argon2id' &&
    l.memoryKiB === params.memoryKiB &&
    l.passes === params.passes &&
    l.parallelism === params.parallelism &&
    l.tagLength === TAG_LENGTH &&
    l.keyid === currentKeyid;
  // A fixed hash of a current shape, for dummyVerify. Its salt is fixed: no secret is involved.
  const dummy: Layer = { ...newLayer(), salt: new Uint8Array(SALT_LENGTH).fill(0x5a) };
  const dummyTag = new Uint8Array(TAG_LENGTH).fill(0xa5);

  return {
    version: options.version,
    params,
    async hash(password) {
      const layer = newLayer();
      return encodePlain(layer, await run(layer, encoder.encode(normalizePassword(password))));
    },
    async verify(phc, password) {
      const stored = decodeStoredHash(phc);
      let tag: Uint8Array = encoder.encode(normalizePassword(password));
      // The password goes through every layer, innermost first (the wrapped form's chain).
      for (const layer of stored.layers) tag = await run(layer, tag);
      return tag.byteLength === stored.hash.byteLength && timingSafeEqual(tag, stored.hash);
    },
    needsRehash(phc) {
      const stored = decodeStoredHash(phc);
      return stored.wrapped || !stored.layers.every(isCurrent);
    },
    async wrap(phc) {
      const stored = decodeStoredHash(phc);
      const last = stored.layers[stored.layers.length - 1];
      if (last !== undefined && isCurrent(last)) return phc;
      const outer = newLayer();
      return encodeWrapped(options.version, stored.layers, outer, await run(outer, stored.hash));
    },
    async dummyVerify(password) {
      const tag = await run(dummy, encoder.encode(normalizePassword(password)));
      timingSafeEqual(tag, dummyTag);
      return false;
    },
  };
}

function checkCurrentParams(p: Argon2Params, version: number): void {
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isSafeInteger(v)) throw new Error(`argon2 ${k} must be an integer`);
  }
  if (p.memoryKiB < OWASP_ARGON2ID.memoryKiB || p.passes < OWASP_ARGON2ID.passes || p.parallelism < 1) {
    throw new Error('argon2 parameters below the OWASP minimum (m=19456 KiB, t=2, p=1)');
  }
  if (p.memoryKiB > 1 << 20 || p.passes > 64 || p.parallelism > 16) throw new Error('argon2 parameters out of range');
  if (!Number.isSafeInteger(version) || version < 1) throw new Error('hash_version must be a positive integer');
}
