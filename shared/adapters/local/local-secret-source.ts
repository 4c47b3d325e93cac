/**
 * The dev secret source: one file per secret in a directory (`.local/secrets/`
 * under `npm start`), holding the secret's bytes exactly. `loadConfig` allows
 * it only beside the Firestore emulator (`IAM_LOCAL_SECRETS_DIR`); production
 * reads Secret Manager. See docs/accounts.md.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretSource } from '../../domain/ports.ts';

/** Secret names: what Secret Manager accepts for a secret id. */
const SECRET_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Thrown when a secret does not exist: a deployment error, never a client's. */
export class SecretNotFoundError extends Error {
  override readonly name = 'SecretNotFoundError';
}

function fileOf(dir: string, name: string): string {
  if (!SECRET_NAME.test(name)) throw new TypeError(`invalid secret name '${name.slice(0, 40)}'`);
  return path.join(dir, name);
}

/** A {@link SecretSource} over the files of `dir`. Files are read on every `get` (callers cache). */
export function createLocalSecretSource(dir: string): SecretSource {
  return {
    async get(name) {
      const file = fileOf(dir, name);
      try {
        return new Uint8Array(readFileSync(file));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new SecretNotFoundError(`secret '${name}' not found in ${dir} (npm start creates the local secrets)`, { cause: e });
        }
        throw e;
      }
    },
  };
}

/** What {@link ensureLocalSecret} did. */
export interface EnsuredSecret {
  readonly file: string;
  /** True when the file was created now. */
  readonly created: boolean;
}

/**
 * Creates `dir/name` holding a fresh random secret (32 CSPRNG bytes as
 * base64url text, 43 characters) unless it exists. The directory is 0700 and
 * the file 0600. Safe to race: the file is created exclusively, and the loser
 * keeps the winner's value.
 */
export function ensureLocalSecret(dir: string, name: string): EnsuredSecret {
  const file = fileOf(dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
    return { file, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { file, created: false };
    throw e;
  }
}

/** The default name of the bootstrap platform-admin secret (`IAM_BOOTSTRAP_SECRET_NAME`). */
export const DEFAULT_BOOTSTRAP_SECRET_NAME = 'iam-bootstrap-admin';

/**
 * The local stack's accounts setup (`npm start`): makes sure the bootstrap
 * secret exists in `<stateDir>/secrets` and returns the environment the
 * functions (and, through `stack.json`, iamctl) need to find it, plus the
 * small offline breach list shipped in the repository (no network locally).
 */
export function localAccountsEnv(root: string, stateDir: string): Record<string, string> {
  const dir = path.join(stateDir, 'secrets');
  ensureLocalSecret(dir, DEFAULT_BOOTSTRAP_SECRET_NAME);
  return {
    IAM_LOCAL_SECRETS_DIR: dir,
    IAM_BREACH_LIST: 'offline',
    IAM_BREACH_LIST_PATH: path.join(root, 'functions', 'accounts', 'dev-breach-list.txt'),
  };
}
