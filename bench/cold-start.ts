/**
 * Cold start of every function: process spawn -> first 200 on its cheap GET
 * (`READINESS_PROBES` in `scripts/stack/topology.ts`), under functions-framework
 * with the same environment as `npm start`, against fresh emulators on free
 * ports. Each function gets one discarded warm-up run (it fills the emulator
 * state a deployed function would already find, e.g. signing keys, and the
 * OS file cache), then `BENCH_RUNS` (default 5) measured runs, interleaved
 * round by round across the functions.
 *
 * The reference, measured in the same run on the same machine: spawn -> first
 * 200 of a bare functions-framework "hello" function. The ratio says how much
 * a function's own imports and start-up add to the framework's floor.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchReport } from './run.ts';
import { startFirestoreEmulator, startPubsubEmulator } from '../scripts/stack/emulators.ts';
import { discoverFunctions, functionEnv, functionsFrameworkMain } from '../scripts/stack/functions.ts';
import { freePort, startProcess } from '../scripts/stack/processes.ts';
import { LOCAL_PROJECT_ID, READINESS_PROBES } from '../scripts/stack/topology.ts';

const root = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const TIMEOUT_MS = 30_000;

/** One function to measure. */
interface Target {
  readonly name: string;
  /** `--source` for functions-framework. */
  readonly source: string;
  readonly probe: string;
  /** Whether only a 200 counts; otherwise the first answer of any status. */
  readonly needs200: boolean;
}

/** One measured start. */
interface Sample {
  readonly ms: number;
  readonly status: number;
}

/** The bench's name, for `bench/run.ts`. */
export const name = 'cold-start';

/** Runs the bench and returns its table (`bench/run.ts` calls it; alone: `node bench/cold-start.ts`). */
export async function run(): Promise<BenchReport> {
  const [firestore, pubsub] = await Promise.all([
    startFirestoreEmulator(await freePort()),
    startPubsubEmulator(await freePort()),
  ]);
  try {
    const env = {
      ...process.env,
      ...functionEnv({ projectId: LOCAL_PROJECT_ID, issuer: 'http://127.0.0.1:8080', firestoreHost: firestore.host, pubsubHost: pubsub.host }),
    };
    const hello = helloFunction();
    const targets: Target[] = [
      { name: 'hello (reference)', source: hello, probe: '/', needs200: true },
      ...discoverFunctions(root).map((name) => {
        const probe = READINESS_PROBES[name];
        return { name, source: path.join('functions', name, 'index.ts'), probe: probe ?? '/', needs200: probe !== undefined };
      }),
    ];
    // Warm-up, discarded; then rounds that take each target in turn, so drift
    // in machine load hits every function and the reference alike.
    for (const target of targets) await measure(target, env);
    const results = targets.map((target) => ({ target, samples: [] as Sample[] }));
    for (let i = 0; i < RUNS; i++) for (const r of results) r.samples.push(await measure(r.target, env));
    for (const { target, samples } of results) {
      process.stdout.write(`  ${target.name}: ${samples.map((s) => Math.round(s.ms)).join(', ')} ms\n`);
    }
    const reference = median(results[0]?.samples.map((s) => s.ms) ?? [1]);
    return {
      title: `Cold start: process spawn -> first 200 (median and min of ${RUNS} interleaved runs after one warm-up)`,
      columns: ['function', 'probe', 'ready on', 'median ms', 'min ms', 'vs hello'],
      rows: results.map(({ target, samples }) => {
        const ms = samples.map((s) => s.ms);
        const statuses = [...new Set(samples.map((s) => s.status))].join('/');
        return [
          target.name,
          `GET ${target.probe}`,
          target.needs200 ? '200' : `${statuses} (first answer; no GET 200 route)`,
          Math.round(median(ms)),
          Math.round(Math.min(...ms)),
          `${(median(ms) / reference).toFixed(2)}x`,
        ];
      }),
      notes: [
        'spawn = child_process.spawn of `node functions-framework/build/src/main.js --target=NAME --source=...` with the npm start environment',
        'ready = first response to GET <probe>, polled every 10 ms; "first answer" rows have no GET route answering 200 yet',
        `reference = a bare functions-framework hello function measured in the same run; ${RUNS} runs each, fresh emulators on free ports`,
        `machine: ${process.platform} ${process.arch}, ${os.cpus().length} CPUs, Node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1)} at the end (numbers move with load)`,
      ],
    };
  } finally {
    await Promise.all([firestore.stop(), pubsub.stop()]);
  }
}

/** Spawns one function and times spawn -> the answer it waits for. */
async function measure(target: Target, env: NodeJS.ProcessEnv): Promise<Sample> {
  const port = await freePort();
  const started = performance.now();
  const proc = startProcess({
    name: target.name,
    command: process.execPath,
    args: [functionsFrameworkMain(root), `--target=${target.name.startsWith('hello') ? 'hello' : target.name}`, `--source=${target.source}`, `--port=${port}`],
    cwd: root,
    env,
  });
  let dead = false;
  proc.child.once('exit', () => (dead = true));
  try {
    const url = `http://127.0.0.1:${port}${target.probe}`;
    for (;;) {
      if (dead) throw new Error(`${target.name} exited before it answered`);
      if (performance.now() - started > TIMEOUT_MS) throw new Error(`${target.name} did not answer in ${TIMEOUT_MS} ms`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        await res.arrayBuffer();
        if (res.status === 200 || !target.needs200) return { ms: performance.now() - started, status: res.status };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await proc.stop();
  }
}

/** Writes the reference function into `.local/bench/hello/` (it resolves the framework from the repo). */
function helloFunction(): string {
  const dir = path.join(root, '.local', 'bench', 'hello');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.ts');
  writeFileSync(
    file,
    "import * as functions from '@google-cloud/functions-framework';\nfunctions.http('hello', (_req, res) => {\n  res.send('ok');\n});\n",
  );
  return path.relative(root, file);
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export default run;

if (import.meta.main) {
  const { renderTable } = await import('./run.ts');
  process.stdout.write(`${renderTable(await run())}\n`);
}
