/**
 * The {@link SecretKeyRing} port over a {@link SecretSource}: 256-bit keys
 * held as Secret Manager secrets (locally, the dev secret directory). The key
 * id recorded beside what a key protects is the secret name it was read
 * from, so rotation is: add a new secret (version), make it `current`, keep
 * the old name in `previous` until no record names it.
 *
 * In production name PINNED versions (`projects/P/secrets/iam-mfa-kek/versions/3`):
 * an id must always mean the same bytes, and `latest` moves.
 */
import type { SecretKeyRing, SecretSource } from '../../domain/ports.ts';

/** Which secrets make the ring. */
export interface SecretKeyRingOptions {
  /** The secret that protects new records. */
  readonly current: string;
  /** Older secrets that still open existing records. */
  readonly previous?: readonly string[];
}

/** Bytes of every key of the ring (AES-256 / a 256-bit HMAC pepper). */
export const SECRET_KEY_BYTES = 32;

/**
 * The key bytes of a secret payload: exactly 32 raw bytes, or base64 /
 * base64url text of 32 bytes (what `ensureLocalSecret` writes; a trailing
 * newline from `echo` is ignored). Anything else is a deployment error.
 */
export function keyFromPayload(name: string, payload: Uint8Array): Uint8Array {
  if (payload.length === SECRET_KEY_BYTES) return new Uint8Array(payload);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(payload).trim();
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) {
    const bytes = Buffer.from(text.replace(/=$/, ''), text.includes('+') || text.includes('/') ? 'base64' : 'base64url');
    if (bytes.length === SECRET_KEY_BYTES) return new Uint8Array(bytes);
  }
  throw new Error(`secret '${name}' is not a ${SECRET_KEY_BYTES}-byte key (raw, or base64/base64url text)`);
}

/** A key ring reading each secret once per process (a failed read is retried on the next use). */
export function createSecretKeyRing(source: SecretSource, options: SecretKeyRingOptions): SecretKeyRing {
  const names = new Set([options.current, ...(options.previous ?? [])]);
  const cache = new Map<string, Promise<Uint8Array>>();
  const load = (name: string): Promise<Uint8Array> => {
    let p = cache.get(name);
    if (p === undefined) {
      p = source.get(name).then((payload) => keyFromPayload(name, payload));
      p.catch(() => cache.delete(name));
      cache.set(name, p);
    }
    return p;
  };
  return {
    async current() {
      return { id: options.current, key: await load(options.current) };
    },
    async get(id) {
      return names.has(id) ? load(id) : undefined;
    },
  };
}
