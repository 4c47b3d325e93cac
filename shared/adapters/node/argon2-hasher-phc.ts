/**
 * The two stored forms of a password hash (docs/passwords.md):
 *
 * - plain, a standard Argon2 PHC string that libargon2, argon2-cffi and the
 *   `argon2` CLI read: `$argon2id$v=19$m=19456,t=2,p=1[,keyid=K]$<salt>$<hash>`
 * - wrapped, `argon2id(old_hash)` made without the password:
 *   `$argon2id-wrap$v=19$hv=N,m=M,t=T,p=P[,keyid=K],in=<layers>$<salt>$<hash>`
 *   where `<layers>` lists the inner layers, innermost first, joined by `.`,
 *   each `<alg>-<m>-<t>-<p>-<tagLength>-<salt>[-<keyid>]`.
 *
 * Both decode to a list of {@link Layer}s: the password goes through each in
 * order, the output of one layer being the message of the next, and the
 * last layer's output is compared with the stored hash. Salts and hashes are
 * standard base64 without padding (the PHC convention).
 */

/** An Argon2 variant. */
export type Argon2Algorithm = 'argon2id' | 'argon2i' | 'argon2d';

/** One Argon2 computation of a stored hash. */
export interface Layer {
  readonly algorithm: Argon2Algorithm;
  /** Memory in KiB (`m`). */
  readonly memoryKiB: number;
  /** Passes (`t`). */
  readonly passes: number;
  /** Lanes (`p`). */
  readonly parallelism: number;
  /** Output length in bytes. */
  readonly tagLength: number;
  readonly salt: Uint8Array;
  /** The id of the pepper (Argon2 `secret`) used, if any. */
  readonly keyid: string | undefined;
}

/** A decoded stored hash. */
export interface StoredHash {
  /** Every layer, innermost first; a plain hash has one. */
  readonly layers: readonly Layer[];
  /** The output of the last layer. */
  readonly hash: Uint8Array;
  /** Whether it is the wrapped form. */
  readonly wrapped: boolean;
  /** The `hash_version` recorded in a wrapped hash (plain hashes do not carry one). */
  readonly hashVersion: number | undefined;
}

/** Thrown for a stored hash we cannot read: a corrupt record or a config mismatch, never a user's fault. */
export class PasswordHashFormatError extends Error {
  override readonly name = 'PasswordHashFormatError';
}

/** The identifier of the wrapped form. */
export const WRAP_ID = 'argon2id-wrap';
/** The only Argon2 version Node's `crypto.argon2` computes (0x13). */
const ARGON2_VERSION = 19;
/** Pepper ids: short, and inside the PHC value alphabet. */
export const KEYID = /^[A-Za-z0-9]{1,32}$/;

// Bounds on what a stored hash may ask for, so a corrupt record cannot make
// us allocate gigabytes. Current parameters are checked separately.
const MAX_MEMORY_KIB = 1 << 20;
const MAX_PASSES = 64;
const MAX_LANES = 16;
const B64 = /^[A-Za-z0-9+/]+$/;

/** Standard base64 without padding. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

function unb64(s: string, what: string): Uint8Array {
  const bytes = Buffer.from(s, 'base64');
  if (!B64.test(s) || b64(bytes) !== s) throw new PasswordHashFormatError(`bad base64 in the ${what}`);
  return new Uint8Array(bytes);
}

function int(s: string | undefined, max: number, what: string, min = 1): number {
  if (s === undefined || !/^(0|[1-9]\d{0,9})$/.test(s)) throw new PasswordHashFormatError(`bad ${what}`);
  const n = Number(s);
  if (n < min || n > max) throw new PasswordHashFormatError(`${what} out of range`);
  return n;
}

function checkLayer(l: Layer): Layer {
  if (l.salt.byteLength < 8) throw new PasswordHashFormatError('salt shorter than 8 bytes');
  if (l.tagLength < 4 || l.tagLength > 64) throw new PasswordHashFormatError('tag length out of range');
  if (l.memoryKiB < 8 * l.parallelism) throw new PasswordHashFormatError('memory below 8 KiB per lane');
  if (l.keyid !== undefined && !KEYID.test(l.keyid)) throw new PasswordHashFormatError('bad keyid');
  return l;
}

/** Parses `m=..,t=..,p=..` plus named extras, in that order; returns the extras. */
function parseParams(text: string, extras: readonly string[]): { m: number; t: number; p: number; more: Map<string, string> } {
  const pairs = text.split(',').map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new PasswordHashFormatError('bad parameter list');
    return [kv.slice(0, eq), kv.slice(eq + 1)] as const;
  });
  const more = new Map<string, string>();
  const core = new Map<string, string>();
  for (const [k, v] of pairs) {
    const seen = core.has(k) || more.has(k);
    if (seen) throw new PasswordHashFormatError(`parameter ${k} repeated`);
    if (k === 'm' || k === 't' || k === 'p') core.set(k, v);
    else if (extras.includes(k)) more.set(k, v);
    else throw new PasswordHashFormatError(`unsupported parameter ${k}`);
  }
  return {
    m: int(core.get('m'), MAX_MEMORY_KIB, 'memory'),
    t: int(core.get('t'), MAX_PASSES, 'passes'),
    p: int(core.get('p'), MAX_LANES, 'parallelism'),
    more,
  };
}

function isAlgorithm(s: string | undefined): s is Argon2Algorithm {
  return s === 'argon2id' || s === 'argon2i' || s === 'argon2d';
}

/** Decodes a plain or wrapped stored hash. Throws {@link PasswordHashFormatError} on anything else. */
export function decodeStoredHash(phc: string): StoredHash {
  const parts = phc.split('$');
  // ['', id, 'v=19', params, salt, hash]
  if (parts.length !== 6 || parts[0] !== '') throw new PasswordHashFormatError('not a PHC string');
  const [, id, version, paramText, saltText, hashText] = parts as [string, string, string, string, string, string];
  if (version !== `v=${ARGON2_VERSION}`) throw new PasswordHashFormatError('unsupported Argon2 version');
  const hash = unb64(hashText, 'hash');
  const salt = unb64(saltText, 'salt');
  if (isAlgorithm(id)) {
    const { m, t, p, more } = parseParams(paramText, ['keyid']);
    const layer = checkLayer({ algorithm: id, memoryKiB: m, passes: t, parallelism: p, tagLength: hash.byteLength, salt, keyid: more.get('keyid') });
    return { layers: [layer], hash, wrapped: false, hashVersion: undefined };
  }
  if (id !== WRAP_ID) throw new PasswordHashFormatError('unsupported hash identifier');
  const { m, t, p, more } = parseParams(paramText, ['hv', 'keyid', 'in']);
  const inner = (more.get('in') ?? '').split('.').filter((s) => s !== '');
  if (inner.length === 0) throw new PasswordHashFormatError('a wrapped hash without inner layers');
  const outer = checkLayer({ algorithm: 'argon2id', memoryKiB: m, passes: t, parallelism: p, tagLength: hash.byteLength, salt, keyid: more.get('keyid') });
  return {
    layers: [...inner.map(decodeLayer), outer],
    hash,
    wrapped: true,
    hashVersion: int(more.get('hv'), 2 ** 31, 'hash version', 0),
  };
}

function decodeLayer(text: string): Layer {
  const f = text.split('-');
  if (f.length !== 6 && f.length !== 7) throw new PasswordHashFormatError('bad inner layer');
  const algorithm = f[0];
  if (!isAlgorithm(algorithm)) throw new PasswordHashFormatError('bad inner layer algorithm');
  return checkLayer({
    algorithm,
    memoryKiB: int(f[1], MAX_MEMORY_KIB, 'inner memory'),
    passes: int(f[2], MAX_PASSES, 'inner passes'),
    parallelism: int(f[3], MAX_LANES, 'inner parallelism'),
    tagLength: int(f[4], 64, 'inner tag length'),
    salt: unb64(f[5] ?? '', 'inner salt'),
    keyid: f[6],
  });
}

function params(l: Layer): string {
  return `m=${l.memoryKiB},t=${l.passes},p=${l.parallelism}`;
}

/** Encodes a plain PHC string (one layer). */
export function encodePlain(layer: Layer, hash: Uint8Array): string {
  const keyid = layer.keyid === undefined ? '' : `,keyid=${layer.keyid}`;
  return `$${layer.algorithm}$v=${ARGON2_VERSION}$${params(layer)}${keyid}$${b64(layer.salt)}$${b64(hash)}`;
}

/** Encodes the wrapped form: `outer` (always argon2id) over `inner`, innermost first. */
export function encodeWrapped(hashVersion: number, inner: readonly Layer[], outer: Layer, hash: Uint8Array): string {
  const layers = inner
    .map((l) => [l.algorithm, l.memoryKiB, l.passes, l.parallelism, l.tagLength, b64(l.salt), ...(l.keyid === undefined ? [] : [l.keyid])].join('-'))
    .join('.');
  const keyid = outer.keyid === undefined ? '' : `,keyid=${outer.keyid}`;
  return `$${WRAP_ID}$v=${ARGON2_VERSION}$hv=${hashVersion},${params(outer)}${keyid},in=${layers}$${b64(outer.salt)}$${b64(hash)}`;
}
