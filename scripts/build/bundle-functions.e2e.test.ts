/**
 * The deploy artifact (scripts/build/bundle-functions.ts): every function
 * bundles, stays within its size budget and is a deployable folder; and a
 * bundle does real work under functions-framework. The token bundle signs in
 * production mode, with `IAM_SIGNER=kms` over real gRPC to the loopback KMS,
 * on the Firestore emulator: the KMS client's protos must load from the bundle,
 * which no local-signer run touches. The whole story on bundles is
 * scripts/demo/demo.e2e.test.ts ("bundled").
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import { loadConfig } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { fillPolicyDefaults, type Tenant } from '../../shared/domain/tenants/tenant.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { startKmsTestServer, type KmsTestServer } from '../../shared/testing/kms-grpc-server.ts';
import { discoverFunctions, startFunction, waitForAnswer } from '../stack/functions.ts';
import { freePort, type Managed } from '../stack/processes.ts';
import { bundleFunctions, COMPILE_CACHE_DIR, ENTRY, type BuiltFunction } from './bundle-functions.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Every function's modules together (entry and chunks). The largest is about 5 MiB; node_modules is hundreds. */
const BUDGET_BYTES = 8 * 1024 * 1024;
const KEY = 'projects/demo-iam/locations/europe-west1/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions/1';
const PASSWORD = 'correct horse battery staple';

let outDir: string;
let built: BuiltFunction[];

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'iam-dist-'));
  built = await bundleFunctions({ root: ROOT, outDir, names: discoverFunctions(ROOT) });
  // Deployed, `npm install` brings functions-framework into each folder; here the repository's modules stand in.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('npm run build: one deployable folder per function', () => {
  it('builds every function in functions/, each within the size budget', () => {
    expect(built.map((b) => b.name)).toEqual(discoverFunctions(ROOT));
    for (const b of built) {
      expect(b.bytes, `${b.name}: ${b.bytes} bytes`).toBeLessThanOrEqual(BUDGET_BYTES);
      expect(b.bytes, b.name).toBeGreaterThan(10_000);
      expect(existsSync(b.entry), b.name).toBe(true);
    }
  });

  it('bundles nothing of the test or dev tooling', () => {
    for (const b of built) {
      const text = readdirSync(b.dir)
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => readFileSync(path.join(b.dir, f), 'utf8'))
        .join('\n');
      for (const devOnly of ['playwright-core', 'vitest', 'typescript-eslint', '@grpc/proto-loader']) {
        expect(text.includes(`node_modules/${devOnly}/`), `${b.name} bundles ${devOnly}`).toBe(false);
      }
      // functions-framework is external: its main.js must find the function in its own registry.
      expect(text).toMatch(/from\s*"@google-cloud\/functions-framework"/);
    }
  });

  it('writes a package.json that deploys the entry with functions-framework as the one dependency', () => {
    const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const b of built) {
      const pkg = JSON.parse(readFileSync(path.join(b.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(pkg).toMatchObject({ type: 'module', main: ENTRY, scripts: { 'gcp-build': 'node warm-compile-cache.mjs' } });
      expect(pkg['dependencies']).toEqual({ '@google-cloud/functions-framework': root.dependencies['@google-cloud/functions-framework'] });
    }
  });

  it("the gcp-build step fills the compile cache even though the function's configuration is missing at build time", async () => {
    const token = built.find((b) => b.name === 'token');
    if (token === undefined) throw new Error('no token bundle');
    await promisify(execFile)(process.execPath, ['warm-compile-cache.mjs'], { cwd: token.dir, env: { PATH: process.env['PATH'] ?? '' } });
    const cache = path.join(token.dir, COMPILE_CACHE_DIR);
    const entries = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    expect(entries.length).toBeGreaterThan(0);
  });
});

describe('the token bundle in production mode: KMS signing over gRPC, Firestore', () => {
  let kms: KmsTestServer;
  let fn: Managed | undefined;
  let port: number;
  const output: string[] = [];
  const projectId = testProjectId('bundle');

  beforeAll(async () => {
    kms = await startKmsTestServer({ keyVersions: 0 });
    kms.addKeyVersion(KEY);
    port = await freePort();
    const env = testEnv(projectId, { IAM_SIGNER: 'kms', IAM_KMS_ENDPOINT: kms.endpoint, IAM_KMS_KEY_CURRENT: KEY });
    const token = built.find((b) => b.name === 'token');
    if (token === undefined) throw new Error('no token bundle');
    fn = startFunction({ root: ROOT, name: 'token', port, source: token.entry, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env }, onLine: (l) => output.push(l) });
    let dead = false;
    fn.child.once('exit', () => (dead = true));
    await waitForAnswer(`http://127.0.0.1:${port}/.well-known/jwks.json`, 30_000, () => dead);

    const stores = createFirestoreStores(loadConfig(env));
    const policy = fillPolicyDefaults({}, { publicOrigin: 'http://127.0.0.1:8080' });
    if (typeof policy === 'string') throw new Error(policy);
    const now = new Date().toISOString();
    await stores.directory.claim('acme', 'eu', now);
    const tenant: Tenant = { tenant_id: 'acme', region: 'eu', policy, version: 1, created_at: now, updated_at: now };
    const hasher = createArgon2Hasher({ version: loadConfig(env).passwordHashVersion });
    const user: User = {
      user_id: crypto.randomUUID(),
      tenant_id: 'acme',
      email: 'ada@example.com',
      roles: ['member'],
      status: 'active',
      password: { phc: await hasher.hash(PASSWORD), hash_version: hasher.version, changed_at: now },
      mfa_methods: [],
      created_at: now,
      updated_at: now,
      created_by: { type: 'admin', id: 'bundle-test' },
      last_login_at: null,
    };
    await stores.uow.run('eu', async (tx) => {
      await tx.tenants.put(tenant);
      await tx.users.create(user);
    });
  }, 90_000);

  afterAll(async () => {
    await fn?.stop();
    await kms?.close();
    await terminateFirestoreClients();
  });

  it('publishes the KMS key in its JWKS and signs a login with it (asymmetricSign from the bundle)', async () => {
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    const expected = kms.publicKey(KEY).export({ format: 'jwk' });
    expect(jwks.keys.map((k) => [k['x'], k['y']])).toContainEqual([expected.x, expected.y]);

    const signsBefore = kms.calls.asymmetricSign;
    const res = await fetch(`http://127.0.0.1:${port}/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant_id: 'acme', email: 'ada@example.com', password: PASSWORD, client_id: 'bundle-test' }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, `${JSON.stringify(body)}\n${output.join('\n')}`).toBe(200);
    expect(kms.calls.asymmetricSign).toBe(signsBefore + 1);
    const jwt = String(body['access_token']);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    // Verified with the KMS server's own public key, not with anything the bundle served.
    const { payload } = await jwtVerify(jwt, kms.publicKey(KEY), { issuer: 'http://127.0.0.1:8080', typ: 'at+jwt', algorithms: ['ES256'] });
    expect(payload.tid).toBe('acme');
    expect(payload.exp! - payload.iat!).toBe(900);
  });
});
