/**
 * Cold start of every function: process spawn -> first 2xx on a REAL request
 * that does the function's work (a Firestore transaction, a key ring read, a
 * publish), not a health route, under functions-framework
 * with the same environment as `npm start`, against fresh emulators on free
 * ports. Each function gets one discarded warm-up run (it fills the emulator
 * state a deployed function would already find, e.g. signing keys, and the
 * OS file cache), then `BENCH_RUNS` (default 5) measured runs, interleaved
 * round by round across the functions.
 *
 * Each function runs twice over: as deployed, from its bundle (`npm run
 * build`, scripts/build/bundle-functions.ts, built here first into
 * `.local/bench/dist`): these rows carry the goal; and from its sources, as
 * `npm start` runs it, for comparison.
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
import { bundleFunctions } from '../scripts/build/bundle-functions.ts';
import { discoverFunctions, functionEnv, functionsFrameworkMain } from '../scripts/stack/functions.ts';
import { freePort, startProcess } from '../scripts/stack/processes.ts';
import { binaryPush } from '../functions/tenant-events/testing/push.ts';
import { LOCAL_PROJECT_ID } from '../scripts/stack/topology.ts';

const root = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const TIMEOUT_MS = 30_000;
/** SPEC section 6: process spawn -> first 200, per function. */
const GOAL_MS = 400;

/** The request that tells a function is ready: its first real work. */
interface Probe {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** A fresh body per run (tenant ids must not repeat). */
  readonly body?: () => { readonly type: string; readonly data: string };
  /** What the request does, for the table. */
  readonly label: string;
}

/**
 * One probe per function. Where no request can succeed without a prior login
 * (accounts, mfa-verify), the probe is the first refusal of a real route, and
 * the table says so.
 */
const PROBES: Readonly<Record<string, Probe>> = {
  token: { method: 'GET', path: '/.well-known/jwks.json', label: 'JWKS (key ring read)' },
  jobs: { method: 'POST', path: '/jobs/outbox-relay', body: () => ({ type: 'application/json', data: '{}' }), label: 'outbox relay (Firestore + Pub/Sub)' },
  'tenant-events': {
    method: 'POST',
    path: '/',
    body: () => {
      const id = `bench-${Math.random().toString(36).slice(2, 10)}`;
      return { type: 'application/json', data: JSON.stringify(binaryPush({ id: `ev-${id}`, type: 'tenant.created.v1', data: { tenant_id: id, region: 'eu' } })) };
    },
    label: 'tenant.created.v1 push (directory + regional transaction)',
  },
  refresh: {
    method: 'POST',
    path: '/v1/revoke',
    body: () => ({ type: 'application/x-www-form-urlencoded', data: `token=rt.bench.${'A'.repeat(43)}&client_id=bench` }),
    label: 'RFC 7009 revoke of an unknown token',
  },
};

/** Functions whose every route needs a prior login: the first refusal of a real route. */
const FIRST_REFUSAL: Readonly<Record<string, Probe>> = {
  accounts: { method: 'POST', path: '/v1/me/password', body: () => ({ type: 'application/json', data: '{}' }), label: 'Bearer check (first refusal)' },
  'mfa-verify': { method: 'POST', path: '/v1/mfa/verify', body: () => ({ type: 'application/json', data: '{}' }), label: 'body check (first refusal)' },
};

/** One function to measure. */
interface Target {
  /** The row's name. */
  readonly name: string;
  /** The functions-framework target (`--target`). */
  readonly target: string;
  /** A deployed bundle (the goal applies), the sources, or the reference. */
  readonly kind: 'bundle' | 'source' | 'reference';
  /** `--source` for functions-framework. */
  readonly source: string;
  readonly probe: Probe;
  /** Whether only a 2xx counts; otherwise the first answer of any status. */
  readonly needs2xx: boolean;
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
      ...functionEnv({
        projectId: LOCAL_PROJECT_ID,
        issuer: 'http://127.0.0.1:8080',
        firestoreHost: firestore.host,
        pubsubHost: pubsub.host,
        // As deployed: the build bakes a compile cache in (each bundle's `gcp-build`); here the warm-up run fills it.
        ...(process.env['BENCH_NO_COMPILE_CACHE'] === '1' ? {} : { compileCacheDir: path.join(root, '.local', 'bench', 'compile-cache') }),
      }),
    };
    const hello = helloFunction();
    const names = discoverFunctions(root);
    const built = await bundleFunctions({ root, outDir: path.join(root, '.local', 'bench', 'dist'), names });
    const targetsOf = (kind: 'bundle' | 'source'): Target[] =>
      names.map((name) => {
        const probe = PROBES[name];
        const bundle = built.find((b) => b.name === name);
        if (bundle === undefined) throw new Error(`no bundle for ${name}`);
        return {
          name: kind === 'bundle' ? name : `${name} (sources)`,
          target: name,
          kind,
          source: kind === 'bundle' ? path.relative(root, bundle.entry) : path.join('functions', name, 'index.ts'),
          probe: probe ?? FIRST_REFUSAL[name] ?? { method: 'GET' as const, path: '/', label: 'first answer' },
          needs2xx: probe !== undefined,
        };
      });
    const targets: Target[] = [
      { name: 'hello (reference)', target: 'hello', kind: 'reference', source: hello, probe: { method: 'GET', path: '/', label: 'hello' }, needs2xx: true },
      ...targetsOf('bundle'),
      ...targetsOf('source'),
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
      title: `Cold start: process spawn -> first 2xx on real work (median and min of ${RUNS} interleaved runs after one warm-up)`,
      columns: ['function', 'probe', 'ready on', 'median ms', 'min ms', 'vs hello', `goal <= ${GOAL_MS} ms`],
      rows: results.map(({ target, samples }) => {
        const ms = samples.map((s) => s.ms);
        const statuses = [...new Set(samples.map((s) => s.status))].join('/');
        return [
          target.name,
          `${target.probe.method} ${target.probe.path}: ${target.probe.label}`,
          target.needs2xx ? statuses : `${statuses} (first answer: no route succeeds without a login)`,
          Math.round(median(ms)),
          Math.round(Math.min(...ms)),
          `${(median(ms) / reference).toFixed(2)}x`,
          target.kind === 'bundle' ? (median(ms) <= GOAL_MS ? 'met' : 'NOT met') : '',
        ];
      }),
      notes: [
        `bundle rows: the deployed artifact (npm run build), entry + chunks ${built.map((b) => `${b.name} ${Math.round(b.bytes / 1024)} KiB`).join(', ')}; "(sources)" rows: functions/<name>/index.ts as npm start runs them`,
        'spawn = child_process.spawn of `node functions-framework/build/src/main.js --target=NAME --source=...` with the npm start environment',
        `compile cache: ${process.env['BENCH_NO_COMPILE_CACHE'] === '1' ? 'off (BENCH_NO_COMPILE_CACHE=1)' : 'on, NODE_COMPILE_CACHE filled by the warm-up run (as the deployed build bakes it in); BENCH_NO_COMPILE_CACHE=1 measures without'}`,
        'ready = first 2xx to the probe request, retried every 10 ms until the port listens; "first answer" rows count any status',
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
    args: [functionsFrameworkMain(root), `--target=${target.target}`, `--source=${target.source}`, `--port=${port}`],
    cwd: root,
    env,
  });
  let dead = false;
  proc.child.once('exit', () => (dead = true));
  try {
    const url = `http://127.0.0.1:${port}${target.probe.path}`;
    for (;;) {
      if (dead) throw new Error(`${target.name} exited before it answered`);
      if (performance.now() - started > TIMEOUT_MS) throw new Error(`${target.name} did not answer in ${TIMEOUT_MS} ms`);
      try {
        const body = target.probe.body?.();
        const res = await fetch(url, {
          method: target.probe.method,
          ...(body === undefined ? {} : { body: body.data, headers: { 'content-type': body.type } }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        await res.arrayBuffer();
        const success = res.status >= 200 && res.status < 300;
        if (success || !target.needs2xx) return { ms: performance.now() - started, status: res.status };
        if (res.status >= 400 && res.status < 500) throw new Error(`${target.name}: the probe was refused with ${res.status}`);
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
