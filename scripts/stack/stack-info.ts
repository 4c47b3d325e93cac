/**
 * `.local/stack.json`: what a running `npm start` wrote about itself, so tools
 * (`iamctl`, `demo`, tests) can find the running stack's URLs and emulators.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';

/** The file name inside the state directory. */
export const STACK_FILE = 'stack.json';

/** The default state directory (logs, certificates, stack.json), relative to the repo root. */
export const DEFAULT_STATE_DIR = '.local';

const FunctionState = v.object({
  url: v.string(),
  port: v.number(),
  log: v.string(),
  status: v.picklist(['running', 'failed', 'exited']),
});

const StackInfoSchema = v.object({
  version: v.literal(1),
  pid: v.number(),
  projectId: v.string(),
  startedAt: v.string(),
  stateDir: v.string(),
  edge: v.object({ http: v.string(), https: v.string(), caCert: v.string(), trustBundle: v.string() }),
  emulators: v.object({ firestore: v.string(), pubsub: v.string() }),
  functions: v.record(v.string(), FunctionState),
  /** The environment of every function; a client talking to this stack wants the same. */
  env: v.record(v.string(), v.string()),
  pubsub: v.object({
    topics: v.array(v.string()),
    subscriptions: v.array(v.object({ name: v.string(), topic: v.string(), kind: v.picklist(['push', 'pull']), endpoint: v.optional(v.string()) })),
    skipped: v.array(v.object({ name: v.string(), function: v.string() })),
  }),
  jobs: v.array(v.string()),
  logs: v.string(),
  /** The Firestore data kept across runs (docs/local-stack.md, "Data across restarts"). */
  firestoreData: v.optional(
    v.object({
      /** The save of this project: `<stateDir>/firestore/<project>`. */
      dir: v.string(),
      /** Restored at start and saved on stop. */
      persist: v.boolean(),
      /** Started empty (`--fresh`). */
      fresh: v.boolean(),
      /** The databases restored at start; empty when nothing was saved. */
      restored: v.array(v.string()),
      /** When the restored data was saved. */
      savedAt: v.nullable(v.string()),
      /** The rules file the emulator enforces on requests without the owner token. */
      rules: v.nullable(v.string()),
    }),
  ),
});

/** The contents of `stack.json`. */
export type StackInfo = v.InferOutput<typeof StackInfoSchema>;

/** The path of `stack.json` in `stateDir`. */
export function stackFilePath(stateDir: string = DEFAULT_STATE_DIR): string {
  return path.join(stateDir, STACK_FILE);
}

/** Writes `stack.json` atomically. */
export function writeStackInfo(info: StackInfo): void {
  const file = stackFilePath(info.stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Removes `stack.json` if it still belongs to process `pid`. */
export function removeStackInfo(stateDir: string, pid: number): void {
  const info = readStackInfo(stateDir, { allowStale: true });
  if (info !== undefined && info.pid !== pid) return;
  rmSync(stackFilePath(stateDir), { force: true });
}

/**
 * Reads the running stack's `stack.json`, or `undefined` when there is none,
 * it is malformed, or (unless `allowStale`) the process that wrote it is gone.
 */
export function readStackInfo(stateDir: string = DEFAULT_STATE_DIR, options: { allowStale?: boolean } = {}): StackInfo | undefined {
  const file = stackFilePath(stateDir);
  if (!existsSync(file)) return undefined;
  let parsed: v.SafeParseResult<typeof StackInfoSchema>;
  try {
    parsed = v.safeParse(StackInfoSchema, JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  if (!options.allowStale && !alive(parsed.output.pid)) return undefined;
  return parsed.output;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}
