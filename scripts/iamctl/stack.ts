/**
 * Finding the stack iamctl talks to, in this order:
 * 1. `IAMCTL_TARGET=env`: the environment as the functions read it
 *    (`loadConfig(process.env)`), e.g. a real project with ADC credentials;
 * 2. `FIRESTORE_EMULATOR_HOST` or `PUBSUB_EMULATOR_HOST` set: those emulators,
 *    with the fixed local defaults for whatever else is unset;
 * 3. `.local/stack.json` written by a running `npm start` (its `env`), or the
 *    file named by `IAMCTL_STACK_FILE`;
 * 4. the fixed local defaults: project `demo-melmastoon`, Firestore
 *    127.0.0.1:8181, Pub/Sub 127.0.0.1:8085.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { ConfigError, loadConfig } from '../../shared/config.ts';
import { CliError, type StackTarget } from './command.ts';

/** The local stack's fixed defaults. */
export const LOCAL_DEFAULTS: Readonly<Record<string, string>> = {
  GOOGLE_CLOUD_PROJECT: 'demo-melmastoon',
  IAM_ISSUER: 'http://127.0.0.1:8080',
  IAM_SIGNER: 'local',
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:8181',
  PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
};

/** The variables an explicit environment may set on top of the defaults. */
const OVERRIDABLE = [
  'GOOGLE_CLOUD_PROJECT',
  'FIRESTORE_EMULATOR_HOST',
  'PUBSUB_EMULATOR_HOST',
  'IAM_ISSUER',
  'IAM_PUBLIC_ORIGIN',
  'IAM_FIRESTORE_DATABASES',
  'IAM_PLATFORM_DATABASE',
  'IAM_EVENTS_TOPIC',
  'IAM_LOCAL_SECRETS_DIR',
  'IAM_SECRET_MANAGER_ENDPOINT',
  'IAM_BOOTSTRAP_SECRET_NAME',
] as const;

/** The part of `stack.json` iamctl reads (the file is owned by `npm start`). */
const StackFileSchema = v.object({ pid: v.number(), env: v.record(v.string(), v.string()) });

function pick(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of OVERRIDABLE) {
    const value = env[k];
    if (value !== undefined && value !== '') out[k] = value;
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

function readStackFile(file: string): { pid: number; env: Record<string, string> } | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const result = v.safeParse(StackFileSchema, parsed);
  if (!result.success || !alive(result.output.pid)) return undefined;
  return result.output;
}

/** Resolves the target from the environment and the repository's `.local/stack.json`. */
export function resolveStack(env: NodeJS.ProcessEnv, repoRoot: string): StackTarget {
  let merged: Record<string, string | undefined>;
  let source: string;
  if (env['IAMCTL_TARGET'] === 'env') {
    merged = { ...env };
    source = 'env';
  } else if (env['FIRESTORE_EMULATOR_HOST'] !== undefined || env['PUBSUB_EMULATOR_HOST'] !== undefined) {
    merged = { ...LOCAL_DEFAULTS, ...pick(env) };
    source = 'env';
  } else {
    const file = env['IAMCTL_STACK_FILE'] ?? path.join(repoRoot, '.local', 'stack.json');
    const stack = readStackFile(file);
    if (stack !== undefined) {
      merged = { ...LOCAL_DEFAULTS, ...stack.env };
      source = `stack.json (pid ${stack.pid})`;
    } else {
      merged = { ...LOCAL_DEFAULTS };
      source = 'defaults';
    }
  }
  try {
    const config = loadConfig(merged);
    return { config, source, local: config.emulators.firestore !== undefined || config.emulators.pubsub !== undefined };
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError('invalid_configuration', `${e.message} (target from ${source})`);
    throw e;
  }
}

/** Throws a clear error unless the emulator at `host` answers. */
export async function assertEmulatorUp(name: string, host: string): Promise<void> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return;
  } catch {
    throw new CliError('stack_unreachable', `cannot reach the ${name} emulator at ${host}: is \`npm start\` running?`);
  }
}
