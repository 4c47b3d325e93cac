/**
 * The token function as Cloud Run runs it: a separate functions-framework
 * process, configured only through its environment. Once with the local
 * signer on the Firestore emulator, once with the KMS signer over gRPC to the
 * loopback test KMS. Also measures the cold start: spawn -> first 200 on the JWKS.
 */
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startProcess, type Managed } from '../../scripts/stack/processes.ts';
import { openKeyRing } from '../../shared/adapters/key-ring.ts';
import { loadConfig } from '../../shared/config.ts';
import { ACCESS_TOKEN_TYP, signJws } from '../../shared/domain/keys/sign-jws.ts';
import type { KeyRing } from '../../shared/domain/ports.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { startKmsTestServer, type KmsTestServer } from '../../shared/testing/kms-grpc-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Running {
  readonly url: string;
  readonly process: Managed;
  /** Milliseconds from spawn to the first 200 on /.well-known/jwks.json. */
  readonly coldStartMs: number;
  readonly output: string[];
}

/** Spawns `npx functions-framework --target=token …` and polls the JWKS until it answers 200. */
async function startToken(env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const output: string[] = [];
  const started = performance.now();
  const proc = startProcess({
    name: 'token',
    command: 'npx',
    args: ['functions-framework', '--target=token', '--source=functions/token/index.ts', `--port=${port}`, '--signature-type=http'],
    cwd: ROOT,
    env: { PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}`, HOME: process.env['HOME'] ?? '/tmp', ...env },
    onLine: (line) => output.push(line),
  });
  let exited = false;
  proc.child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error(`token exited before answering:\n${output.join('\n')}`);
    if (performance.now() - started > 30_000) throw new Error(`token did not answer 200 in 30 s:\n${output.join('\n')}`);
    const status = await fetch(`${url}/.well-known/jwks.json`).then(
      async (r) => (await r.arrayBuffer(), r.status),
      () => 0,
    );
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { url, process: proc, coldStartMs: Math.round(performance.now() - started), output };
}

/** Checks both documents and verifies a token signed by `ring` through the served JWKS. */
async function checkDocumentsAndVerify(running: Running, ring: KeyRing, issuer: string): Promise<void> {
  const jwksRes = await fetch(`${running.url}/.well-known/jwks.json`);
  expect(jwksRes.status).toBe(200);
  expect(jwksRes.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=60');
  expect(jwksRes.headers.get('content-type')).toMatch(/^application\/json/);
  expect(jwksRes.headers.get('x-request-id')).toBeTruthy();
  const jwks = (await jwksRes.json()) as { keys: Record<string, unknown>[] };
  expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
  for (const key of jwks.keys) {
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
    expect(key).not.toHaveProperty('d');
  }

  const discoveryRes = await fetch(`${running.url}/.well-known/openid-configuration`);
  expect(discoveryRes.status).toBe(200);
  const discovery = (await discoveryRes.json()) as Record<string, unknown>;
  expect(discovery).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, token_endpoint: `${issuer}/v1/token` });

  const signer = await ring.current();
  expect(jwks.keys[0]?.['kid']).toBe(signer.kid);
  const now = Math.floor(Date.now() / 1000);
  const jwt = await signJws(signer, { typ: ACCESS_TOKEN_TYP }, { iss: issuer, sub: 'u1', aud: 'melmastoon', iat: now, nbf: now, exp: now + 900 });
  // jose fetches the JWKS over HTTP, as a resource server would.
  const remote = createRemoteJWKSet(new URL(`${running.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(jwt, remote, {
    issuer,
    audience: 'melmastoon',
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
  expect(payload.sub).toBe('u1');
  expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: signer.kid });
}

describe('token function under functions-framework, local signer on the emulator', () => {
  const env = testEnv(testProjectId('token'));
  let running: Running;
  let ring: KeyRing;
  beforeAll(async () => {
    // Create the ring first (warming the emulator), so the cold start measures a restart, as in production.
    ring = await openKeyRing(loadConfig(env));
    await ring.published();
    running = await startToken(env);
    console.log(`token cold start (local signer, npx functions-framework): ${running.coldStartMs} ms`);
  }, 60_000);
  afterAll(async () => {
    await running?.process.stop();
  });

  it('serves the JWKS and discovery, and the JWKS verifies a token signed with the key ring (jose createRemoteJWKSet)', async () => {
    await checkDocumentsAndVerify(running, ring, env['IAM_ISSUER'] ?? '');
  });

  it('answers 404 and 405 with the error envelope', async () => {
    const missing = await fetch(`${running.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    const post = await fetch(`${running.url}/.well-known/jwks.json`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('logs JSON lines in the Cloud Logging format', () => {
    const request = running.output.map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : {})).find((l) => l['message'] === 'request');
    expect(request).toMatchObject({ severity: 'INFO', service: 'token' });
  });
});

describe('token function under functions-framework, KMS signer over gRPC', () => {
  let kms: KmsTestServer;
  let running: Running;
  let ring: KeyRing;
  let env: Record<string, string>;
  beforeAll(async () => {
    kms = await startKmsTestServer();
    const [current = '', next = '', previous = ''] = kms.keyVersions;
    env = testEnv(testProjectId('token-kms'), {
      IAM_SIGNER: 'kms',
      IAM_KMS_KEY_CURRENT: current,
      IAM_KMS_KEY_NEXT: next,
      IAM_KMS_KEY_PREVIOUS: previous,
      IAM_KMS_ENDPOINT: kms.endpoint,
    });
    ring = await openKeyRing(loadConfig(env));
    running = await startToken(env);
    console.log(`token cold start (KMS signer, npx functions-framework): ${running.coldStartMs} ms`);
  }, 60_000);
  afterAll(async () => {
    await running?.process.stop();
    await kms?.close();
  });

  it('serves current, next and previous from KMS, and they verify a token KMS signed', async () => {
    await checkDocumentsAndVerify(running, ring, env['IAM_ISSUER'] ?? '');
    const jwks = (await (await fetch(`${running.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(3);
  });

  it('keeps serving the JWKS from memory while KMS is down', async () => {
    kms.setMode('unavailable');
    try {
      const res = await fetch(`${running.url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
    } finally {
      kms.setMode('ok');
    }
  });
});
