/**
 * The functions of the suite, discovered from `functions/<name>/index.ts`, and
 * how the local stack runs each one under functions-framework (the target
 * name is the folder name).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startProcess, type Managed } from './processes.ts';

/** The names of every function in `<root>/functions`, sorted. */
export function discoverFunctions(root: string): string[] {
  const dir = path.join(root, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

/** The functions-framework CLI entry (`node_modules/.bin/functions-framework` points at it). */
export function functionsFrameworkMain(root: string): string {
  const index = createRequire(path.join(root, 'package.json')).resolve('@google-cloud/functions-framework');
  return path.join(path.dirname(index), 'main.js');
}

/** The settings every function of a local stack runs with. */
export interface FunctionEnvOptions {
  readonly projectId: string;
  /** The edge's plain URL: the issuer of tokens. */
  readonly issuer: string;
  readonly firestoreHost: string;
  readonly pubsubHost: string;
  /**
   * Where Node keeps compiled code between starts (`NODE_COMPILE_CACHE`):
   * about a third off a cold start (docs/benchmarks.md). Production bakes the
   * same cache in at build time (each bundle's `gcp-build`, scripts/build/bundle-functions.ts).
   */
  readonly compileCacheDir?: string;
}

/** The environment `loadConfig` needs for a local function (no secrets: the local signer). */
export function functionEnv(options: FunctionEnvOptions): Record<string, string> {
  return {
    GOOGLE_CLOUD_PROJECT: options.projectId,
    IAM_ISSUER: options.issuer,
    IAM_SIGNER: 'local',
    FIRESTORE_EMULATOR_HOST: options.firestoreHost,
    PUBSUB_EMULATOR_HOST: options.pubsubHost,
    METADATA_SERVER_DETECTION: 'none',
    ...(options.compileCacheDir === undefined ? {} : { NODE_COMPILE_CACHE: options.compileCacheDir }),
  };
}

/** Options for {@link startFunction}. */
export interface StartFunctionOptions {
  readonly root: string;
  readonly name: string;
  readonly port: number;
  /** The complete environment of the child. */
  readonly env: NodeJS.ProcessEnv;
  readonly logFile?: string;
  readonly onLine?: (line: string) => void;
  /**
   * The module functions-framework loads (`--source`): by default the
   * sources, `functions/<name>/index.ts`; a bundle's `index.mjs`
   * (scripts/build/bundle-functions.ts) to run what is deployed.
   */
  readonly source?: string;
}

/**
 * Starts one function under functions-framework on loopback, in its own
 * process group, with the Node that runs this script (Node 24 strips types).
 */
export function startFunction(options: StartFunctionOptions): Managed {
  return startProcess({
    name: options.name,
    command: process.execPath,
    args: [
      functionsFrameworkMain(options.root),
      `--target=${options.name}`,
      `--source=${options.source ?? path.join('functions', options.name, 'index.ts')}`,
      `--port=${options.port}`,
      '--signature-type=http',
    ],
    cwd: options.root,
    env: options.env,
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
}

/**
 * Polls `url` until it answers with any HTTP status (a listening server) and
 * returns that status. Throws when `isDead()` or after `timeoutMs`.
 */
export async function waitForAnswer(url: string, timeoutMs: number, isDead: () => boolean = () => false): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isDead()) throw new Error(`${url}: the process exited before it answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
