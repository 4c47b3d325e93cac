/**
 * Test helper: runs `scripts/iamctl.ts` as a real child process, the way an
 * operator does, and returns its exit code and output lines.
 */
import { spawn } from 'node:child_process';

/** What one iamctl run printed. */
export interface IamctlRun {
  readonly code: number | null;
  readonly stdout: string[];
  readonly stderr: string[];
  /** The last stdout line parsed as JSON (the `--json` contract), or undefined. */
  readonly json: Record<string, unknown> | undefined;
}

/** Runs iamctl with `args` and `env` (merged over the current environment, `undefined` removes a variable). */
export async function runIamctl(args: readonly string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<IamctlRun> {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  const child = spawn(process.execPath, [new URL('../../iamctl.ts', import.meta.url).pathname, ...args], {
    env: merged,
    cwd: cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  const lines = (s: string) => s.split('\n').filter((l) => l !== '');
  const stdout = lines(out);
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(stdout.at(-1) ?? '');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr: lines(err), json };
}
