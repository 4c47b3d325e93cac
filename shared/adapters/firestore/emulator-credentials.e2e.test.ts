/**
 * On the emulator, no Firestore client of ours may look for Google
 * credentials. Over REST, a client that does fails every call with "Could not
 * load the default credentials" on a machine without Application Default
 * Credentials, and silently works on one that has them, which makes the bug
 * look intermittent. These tests take ADC away deterministically (an empty
 * HOME and gcloud config, no GOOGLE_APPLICATION_CREDENTIALS, no metadata
 * server) and run a real process that uses the adapters, with the emulator
 * host known only to the configuration, and with it also in the environment
 * as `npm start` sets it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorHosts, testProjectId } from '../../testing/emulator.ts';

const probe = path.join(import.meta.dirname, 'testing/emulator-client-probe.ts');
const home = mkdtempSync(path.join(os.tmpdir(), 'iam-no-adc-'));
const host = emulatorHosts().firestore;

afterAll(() => rmSync(home, { recursive: true, force: true }));

interface ProbeResult {
  readonly code: number | null;
  readonly ok: boolean;
  readonly error?: string;
  readonly unhandled: readonly string[];
  readonly [key: string]: unknown;
}

/** Runs the probe with nothing that google-auth-library could find credentials in. */
async function runProbe(mode: string, withEnvHost: boolean): Promise<ProbeResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: home,
    CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
    METADATA_SERVER_DETECTION: 'none',
    ...(withEnvHost ? { FIRESTORE_EMULATOR_HOST: host } : {}),
  };
  const child = spawn(process.execPath, [probe, mode, host, testProjectId('creds')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const last = out.trim().split('\n').at(-1) ?? '';
  try {
    return { code, ...(JSON.parse(last) as { ok: boolean; unhandled: string[] }) };
  } catch {
    throw new Error(`the probe printed no result (exit ${code}):\n${out}\n${err}`);
  }
}

describe('Firestore clients on the emulator never look for Google credentials', () => {
  for (const withEnvHost of [false, true]) {
    const where = withEnvHost ? 'FIRESTORE_EMULATOR_HOST also in the environment' : 'the host only in the configuration';
    it(`stores: transactions, reads and queries in every database (${where})`, async () => {
      const result = await runProbe('stores', withEnvHost);
      expect(result).toMatchObject({ code: 0, ok: true, unhandled: [] });
      expect(result['databases']).toEqual(['firestore:(default)', 'firestore:iam-eu', 'firestore:iam-me', 'firestore:iam-us']);
    });

    it(`the local signer's key ring (${where})`, async () => {
      const result = await runProbe('key-ring', withEnvHost);
      expect(result).toMatchObject({ code: 0, ok: true, unhandled: [] });
      expect(result['kid']).toMatch(/^[\w-]{43}$/);
    });
  }

  it('control: a REST client without emulatorSettings fails exactly as the jobs function did, so the probe can see it', async () => {
    const result = await runProbe('bare-rest', true);
    expect(result.code).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^Could not load the default credentials/);
  });
});
