/**
 * Runs `iamctl` as the operator would (`node scripts/iamctl.ts ... --json`),
 * aimed at the demo's stack through its `stack.json`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const IAMCTL = path.resolve(import.meta.dirname, '..', 'iamctl.ts');

/** What one iamctl run printed. */
export interface IamctlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` contract: the last stdout line as an object. */
  readonly json: Record<string, unknown> | undefined;
}

/**
 * Runs iamctl with `args` against the stack described by `stackFile`, with
 * `stdin` written to its standard input (e.g. `--password-stdin`). The
 * emulator variables of the caller's environment are removed, so iamctl finds
 * the stack by its file and nothing else.
 */
export async function runIamctl(args: readonly string[], stackFile: string, stdin?: string): Promise<IamctlResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, IAMCTL_STACK_FILE: stackFile };
  for (const k of ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'IAMCTL_TARGET']) delete env[k];
  const child = spawn(process.execPath, [IAMCTL, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  child.stdin.end(stdin ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const last = out.trimEnd().split('\n').at(-1) ?? '';
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(last);
    json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { code, stdout: out, stderr: err, json };
}
