/**
 * `npm run demo` against a real stack: `startStack()` on its own ports and
 * state directory (beside any `npm start` and the test emulators), then
 * `node scripts/demo.ts --stack-file <that stack.json>` as a user runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverFunctions } from '../stack/functions.ts';
import { startStack, type RunningStack } from '../stack/stack.ts';
import { allPorts, resolvePorts } from '../stack/topology.ts';

const root = path.resolve(import.meta.dirname, '../..');
const DEMO = path.join(root, 'scripts/demo.ts');

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port base whose every port is free, below the ephemeral range the test emulators use. */
async function freeBase(): Promise<number> {
  const names = discoverFunctions(root);
  for (let attempt = 0; attempt < 20; attempt++) {
    // 21000-31943: below Linux's ephemeral range (32768+, where freePort() and outgoing
    // connections land) and apart from the npm start test's 11000-20943.
    const base = 21_000 + Math.floor(Math.random() * 22) * 500;
    const checks = await Promise.all(allPorts(resolvePorts(names, { IAM_STACK_PORT_BASE: String(base) })).map(([, p]) => portFree(p)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free port base');
}

/** Runs the demo as a child process, without the test run's emulator variables. */
async function demo(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'IAMCTL_TARGET', 'IAMCTL_STACK_FILE']) delete env[k];
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, out, err };
}

/** Every step of the story; each must pass now that every endpoint exists. */
const STEPS = [
  'Create a tenant',
  'Create a user',
  'Log in: POST /v1/login through the edge',
  'Decode the access token',
  'Verify it against /.well-known/jwks.json',
  'A wrong password and an unknown user get the same answer',
  'Magic link',
  'Refresh',
  'Sessions',
  'Revoke a session',
  'TOTP enrollment',
  'MFA login',
] as const;

// Once on the sources (`npm start`), once on the bundles that are deployed (`npm start -- --bundled`).
describe.each([
  { label: 'the sources', bundled: false },
  { label: 'the bundles, as deployed', bundled: true },
])('npm run demo against a stack running $label', ({ bundled }) => {
  let stack: RunningStack | undefined;
  let stateDir: string;

  beforeAll(async () => {
    process.env['METADATA_SERVER_DETECTION'] ??= 'none';
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'iam-demo-'));
    stack = await startStack({ root, stateDir, env: { IAM_STACK_PORT_BASE: String(await freeBase()) }, strict: true, persist: false, bundled });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('walks the whole story and exits 0, every step passed', async () => {
    const r = await demo(['--stack-file', path.join(stateDir, 'stack.json')]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('header {"alg":"ES256","typ":"at+jwt"');
    expect(r.out).toContain('exp - iat = 900 s');
    expect(r.out).toMatch(/signature by kid \S+ verifies/);
    expect(r.out).toContain('wrong password -> 401 invalid_grant');
    expect(r.out).toContain('unknown user   -> 401 invalid_grant');
    expect(r.out).toContain('amr ["pwd","otp"]');
    for (const step of STEPS) expect(r.out, r.out).toContain(`✓ ${step}`);
    expect(r.out).not.toContain('✗');
    expect(r.out).toContain(`demo finished: ${STEPS.length} passed, 0 failed, 0 not available yet`);
  }, 90_000);

  if (!bundled) {
    it('says in one line that no stack is running, and exits 2', async () => {
      const r = await demo(['--stack-file', path.join(stateDir, 'nowhere', 'stack.json')]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain('no running stack found');
      expect(r.err).toContain('npm start');
    });
  }
});
