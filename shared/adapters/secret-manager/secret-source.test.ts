/**
 * The `SecretSource` contract, run against the local directory source and the
 * Secret Manager adapter over real gRPC to the loopback test server; then the
 * failure behaviour of each.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIamError } from '../../domain/errors.ts';
import type { SecretSource } from '../../domain/ports.ts';
import { startSecretManagerTestServer, type SecretManagerTestServer } from '../../testing/secret-manager-grpc-server.ts';
import { createOfflineBreachList } from '../local/offline-breach-list.ts';
import { createLocalSecretSource, ensureLocalSecret, localAccountsEnv, SecretNotFoundError } from '../local/local-secret-source.ts';
import { loadConfig } from '../../config.ts';
import { silentLogger } from '../../log.ts';
import { openSecretSource } from './open-secret-source.ts';
import { createSecretManagerClient, createSecretManagerSource } from './secret-manager-source.ts';

const PROJECT = 'demo-secrets';
const BINARY = Uint8Array.from([0, 1, 2, 0xfe, 0xff, 0x0a]);

interface Fixture {
  readonly source: SecretSource;
  /** Stores `data` as the newest value of `name`. */
  put(name: string, data: Uint8Array | string): void;
}

function secretSourceContract(label: string, setup: () => Promise<Fixture>): void {
  describe(`SecretSource contract: ${label}`, () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await setup();
    });

    it('returns the bytes exactly, binary included', async () => {
      f.put('binary', BINARY);
      expect(await f.source.get('binary')).toEqual(BINARY);
      f.put('text', 'hunter2-but-long');
      expect(new TextDecoder().decode(await f.source.get('text'))).toBe('hunter2-but-long');
    });

    it('returns the newest value', async () => {
      f.put('rotating', 'v1');
      f.put('rotating', 'v2');
      expect(new TextDecoder().decode(await f.source.get('rotating'))).toBe('v2');
    });

    it('throws SecretNotFoundError for a missing secret', async () => {
      await expect(f.source.get('missing-secret')).rejects.toBeInstanceOf(SecretNotFoundError);
    });

    it('refuses a name that could escape (path or resource traversal)', async () => {
      for (const bad of ['../etc/passwd', 'a/b', '', 'x'.repeat(300)]) await expect(f.source.get(bad)).rejects.toThrow(/invalid secret name/);
    });
  });
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'iam-secrets-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

secretSourceContract('local directory', async () => {
  const dir = tempDir();
  return { source: createLocalSecretSource(dir), put: (name, data) => writeFileSync(path.join(dir, name), data) };
});

let sm: SecretManagerTestServer;
beforeAll(async () => {
  sm = await startSecretManagerTestServer();
});
afterAll(async () => {
  await sm.close();
});

secretSourceContract('Secret Manager over gRPC', async () => {
  const client = await createSecretManagerClient({ endpoint: sm.endpoint });
  return { source: createSecretManagerSource(client, { projectId: PROJECT }), put: (name, data) => sm.addVersion(PROJECT, name, data) };
});

describe('Secret Manager adapter', () => {
  it('asks for versions/latest of the secret in the project, or the full version name given', async () => {
    const source = createSecretManagerSource(await createSecretManagerClient({ endpoint: sm.endpoint }), { projectId: PROJECT });
    const v1 = sm.addVersion(PROJECT, 'named', 'one');
    sm.addVersion(PROJECT, 'named', 'two');
    expect(new TextDecoder().decode(await source.get(v1))).toBe('one');
    expect(new TextDecoder().decode(await source.get('named'))).toBe('two');
    expect(sm.accessed.slice(-2)).toEqual([v1, `projects/${PROJECT}/secrets/named/versions/latest`]);
  });

  it('refuses a disabled version, asked for by name or as latest (SecretNotFoundError: a deployment error)', async () => {
    const source = createSecretManagerSource(await createSecretManagerClient({ endpoint: sm.endpoint }), { projectId: PROJECT });
    const v1 = sm.addVersion(PROJECT, 'disabled', 'old');
    sm.addVersion(PROJECT, 'disabled', 'new');
    sm.disable(v1);
    await expect(source.get(v1)).rejects.toBeInstanceOf(SecretNotFoundError);
    expect(new TextDecoder().decode(await source.get('disabled'))).toBe('new');
    sm.disable(`projects/${PROJECT}/secrets/disabled/versions/2`);
    await expect(source.get('disabled')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('answers temporarily_unavailable when the service is down, fast when it hangs, and on a corrupted payload', async () => {
    const source = createSecretManagerSource(await createSecretManagerClient({ endpoint: sm.endpoint }), { projectId: PROJECT, timeoutMs: 300 });
    sm.addVersion(PROJECT, 'flaky', 'value');
    try {
      for (const mode of ['unavailable', 'corrupt', 'hang'] as const) {
        sm.setMode(mode);
        const started = performance.now();
        const e = await source.get('flaky').catch((x: unknown) => x);
        expect(isIamError(e, 'temporarily_unavailable'), mode).toBe(true);
        expect(performance.now() - started).toBeLessThan(3000);
      }
    } finally {
      sm.setMode('ok');
    }
    expect(new TextDecoder().decode(await source.get('flaky'))).toBe('value');
  });

  it('is what openSecretSource opens without IAM_LOCAL_SECRETS_DIR', async () => {
    sm.addVersion(PROJECT, 'opened', 'via-config');
    const source = await openSecretSource({ projectId: PROJECT, secrets: { kind: 'secret-manager', endpoint: sm.endpoint } });
    expect(new TextDecoder().decode(await source.get('opened'))).toBe('via-config');
  });
});

describe('local secrets', () => {
  it('ensureLocalSecret creates a 256-bit random secret once, 0600 in a 0700 directory, and keeps it', async () => {
    const dir = path.join(tempDir(), 'nested', 'secrets');
    const first = ensureLocalSecret(dir, 'iam-bootstrap-admin');
    expect(first.created).toBe(true);
    const value = readFileSync(first.file, 'utf8');
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(ensureLocalSecret(dir, 'iam-bootstrap-admin')).toEqual({ file: first.file, created: false });
    expect(readFileSync(first.file, 'utf8')).toBe(value);
    const other = ensureLocalSecret(tempDir(), 'iam-bootstrap-admin');
    expect(readFileSync(other.file, 'utf8')).not.toBe(value);
    const source = await openSecretSource({ projectId: PROJECT, secrets: { kind: 'local', dir } });
    expect(new TextDecoder().decode(await source.get('iam-bootstrap-admin'))).toBe(value);
  });

  it('localAccountsEnv (npm start) creates the bootstrap secret once and points the config at it and at the dev breach list', async () => {
    const state = tempDir();
    const root = path.resolve(import.meta.dirname, '..', '..', '..');
    const env = localAccountsEnv(root, state);
    const config = loadConfig({ GOOGLE_CLOUD_PROJECT: 'demo-x', IAM_ISSUER: 'http://127.0.0.1:8080', IAM_SIGNER: 'local', FIRESTORE_EMULATOR_HOST: '127.0.0.1:1', ...env });
    expect(config.secrets).toEqual({ kind: 'local', dir: path.join(state, 'secrets') });
    const value = readFileSync(path.join(state, 'secrets', config.bootstrapSecretName), 'utf8');
    expect(localAccountsEnv(root, state)).toEqual(env);
    expect(readFileSync(path.join(state, 'secrets', config.bootstrapSecretName), 'utf8')).toBe(value);
    if (config.breachList.kind !== 'offline') throw new Error('expected the offline breach list');
    const list = createOfflineBreachList({ path: config.breachList.path, log: silentLogger });
    expect(await list.check('correct horse battery staple')).toBe('breached');
    expect(await list.check('a long and unremarkable passphrase')).toBe('clean');
  });
});
