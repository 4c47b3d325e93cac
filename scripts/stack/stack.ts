/**
 * The whole local stack of SPEC section 2, as a library: `scripts/start.ts` is
 * its command line, and tests can run a second stack on other ports.
 *
 * Order: dev certificates -> both emulators (Firestore with `firestore.rules`)
 * -> the saved Firestore data restored -> every function -> Pub/Sub topics and
 * subscriptions -> the edge -> the job timers -> `stack.json`. `stop()` undoes
 * it in reverse, saving the Firestore data after the functions stopped and
 * before the emulator does; every child runs in its own process group, so the
 * emulators' Java children go with their launchers.
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../../shared/config.ts';
import { ensureLocalMfaSecrets } from '../../shared/adapters/crypto/mfa-secrets.ts';
import { localAccountsEnv } from '../../shared/adapters/local/local-secret-source.ts';
import { createLogger } from '../../shared/log.ts';
import { ensureDevCertificates } from './certs.ts';
import { startEdge, type Edge } from './edge.ts';
import { startFirestoreEmulator, startPubsubEmulator, type Emulator } from './emulators.ts';
import { discardFirestoreState, firestoreStateDir, restoreFirestoreState, saveFirestoreState, type FirestoreStateTarget } from './firestore-state.ts';
import { bundleFunctions, ENTRY } from '../build/bundle-functions.ts';
import { discoverFunctions, functionEnv, startFunction, waitForAnswer } from './functions.ts';
import type { Managed } from './processes.ts';
import { createPubsubTopology } from './pubsub-topology.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';
import { removeStackInfo, writeStackInfo, type StackInfo } from './stack-info.ts';
import { allPorts, JOBS, JOBS_FUNCTION, LOCAL_PROJECT_ID, PORT_ENV, resolvePorts, TRUST_BUNDLE_ENV, type StackPorts } from './topology.ts';

/** Options for {@link startStack}. */
export interface StackOptions {
  /** The repository root. */
  readonly root: string;
  /** Where logs, certificates and `stack.json` go (`.local` by default). */
  readonly stateDir: string;
  /** Port overrides (`IAM_STACK_*`) and `IAM_EDGE_TRUST_BUNDLE` are read from here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Fail (and stop everything) when a function does not come up. */
  readonly strict?: boolean;
  /** Progress and status lines for the terminal. */
  readonly say?: (line: string) => void;
  /** Each output line of each function (and `edge`, `scheduler` summaries). */
  readonly onLine?: (source: string, line: string) => void;
  /** How long a function may take to answer, ms. */
  readonly functionTimeoutMs?: number;
  /**
   * Keep the Firestore data across runs (default true): restore the save in
   * `<stateDir>/firestore/<project>/` at start, save every database on stop.
   */
  readonly persist?: boolean;
  /** Begin with an empty Firestore: the save is set aside to `<project>.before-fresh` (`npm start -- --fresh`). */
  readonly fresh?: boolean;
  /**
   * Bundle the functions into `<stateDir>/dist` first and run the bundles
   * (scripts/build/bundle-functions.ts) instead of the sources: what is
   * deployed (`npm start -- --bundled`).
   */
  readonly bundled?: boolean;
}

/** A running stack. */
export interface RunningStack {
  readonly info: StackInfo;
  readonly ports: StackPorts;
  /** Stops everything this stack started. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the stack; on failure, stops whatever had started and rethrows. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const say = options.say ?? (() => {});
  const onLine = options.onLine ?? (() => {});
  const root = path.resolve(options.root);
  const stateDir = path.resolve(root, options.stateDir);
  const logs = path.join(stateDir, 'logs');
  const certsDir = path.join(stateDir, 'certs');
  mkdirSync(logs, { recursive: true });

  const names = discoverFunctions(root);
  const ports = resolvePorts(names, options.env);
  await assertPortsFree(ports);
  const certs = ensureDevCertificates(certsDir);
  const trustBundle = options.env[TRUST_BUNDLE_ENV] ?? path.join(certsDir, 'device-trust-bundle.pem');
  const projectId = projectIdFrom(options.env);
  const persist = options.persist ?? true;
  const fresh = options.fresh ?? false;
  const dataDir = firestoreStateDir(stateDir, projectId);
  if (persist && fresh && discardFirestoreState(dataDir)) say(`--fresh: the saved Firestore data was set aside to ${dataDir}.before-fresh`);
  const rulesFile = path.join(root, 'firestore.rules');

  const emulators: Emulator[] = [];
  const functions = new Map<string, Managed>();
  const streams: WriteStream[] = [];
  let edge: Edge | undefined;
  let scheduler: Scheduler | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let writeInfo = (): void => {};
  const startedAt = new Date().toISOString();
  // Set once the saved data is restored (or there was none): only then may a stop overwrite the save.
  let saveTo: { target: FirestoreStateTarget; databases: readonly string[] } | undefined;

  const save = async (): Promise<void> => {
    if (saveTo === undefined) return;
    try {
      const saved = await saveFirestoreState(saveTo.target, saveTo.databases);
      say(`saved the Firestore data (${Object.keys(saved.databases).join(', ')}) to ${saveTo.target.dir}`);
    } catch (e) {
      say(`✗ could not save the Firestore data, the previous save is kept: ${(e as Error).message}`);
    }
  };

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      await settle(scheduler?.stop());
      await settle(edge?.close());
      await Promise.allSettled([...functions.values()].map((f) => f.stop()));
      await save();
      await Promise.allSettled(emulators.map((e) => e.stop()));
      for (const s of streams) s.end();
      removeStackInfo(stateDir, process.pid);
    })();
    return stopped;
  };

  try {
    say(`starting the Firestore (${ports.firestore}) and Pub/Sub (${ports.pubsub}) emulators`);
    const started = await Promise.allSettled([
      startFirestoreEmulator(ports.firestore, freshLog(logs, 'firestore-emulator'), existsSync(rulesFile) ? { rules: rulesFile } : {}),
      startPubsubEmulator(ports.pubsub, freshLog(logs, 'pubsub-emulator')),
    ]);
    for (const r of started) if (r.status === 'fulfilled') emulators.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const [firestore, pubsub] = emulators as [Emulator, Emulator];

    const issuer = `http://127.0.0.1:${ports.edgeHttp}`;
    const env = functionEnv({ projectId, issuer, firestoreHost: firestore.host, pubsubHost: pubsub.host, compileCacheDir: path.join(stateDir, 'compile-cache') });
    // accounts (docs/accounts.md): the bootstrap secret in .local/secrets (created once, random) and the dev breach list.
    Object.assign(env, localAccountsEnv(root, stateDir));
    // mfa-verify (docs/mfa.md): the TOTP key-encryption key and the recovery-code pepper, in the same directory.
    ensureLocalMfaSecrets(env['IAM_LOCAL_SECRETS_DIR'] ?? path.join(stateDir, 'secrets'));

    const target: FirestoreStateTarget = { host: firestore.host, projectId, dir: dataDir };
    let restored: Awaited<ReturnType<typeof restoreFirestoreState>>;
    try {
      restored = persist && !fresh ? await restoreFirestoreState(target) : undefined;
    } catch (e) {
      throw new Error(`could not restore the saved Firestore data: ${(e as Error).message}. \`npm start -- --fresh\` sets it aside and starts empty.`, {
        cause: e,
      });
    }
    if (restored !== undefined) say(`restored the Firestore data saved ${restored.savedAt} (${Object.keys(restored.databases).join(', ')})`);
    if (persist) {
      saveTo = { target, databases: [...new Set([...stackDatabases({ ...options.env, ...env }, env), ...Object.keys(restored?.databases ?? {})])] };
    }
    const status: Record<string, 'running' | 'failed' | 'exited'> = {};
    let bundles: string | undefined;
    if (options.bundled === true) {
      bundles = path.join(stateDir, 'dist');
      const t = performance.now();
      await bundleFunctions({ root, outDir: bundles, names });
      // Deployed, `npm install` puts functions-framework beside the bundle; here the repository's modules stand in.
      const modules = path.join(bundles, 'node_modules');
      rmSync(modules, { force: true }); // a link left by an earlier run (it may point at a moved checkout)
      symlinkSync(path.join(root, 'node_modules'), modules, 'dir');
      say(`bundled ${names.length} functions into ${bundles} in ${Math.round(performance.now() - t)} ms (what is deployed)`);
    }
    say(`starting ${names.length} functions${bundles === undefined ? '' : ' from their bundles'}: ${names.join(', ') || '(none found in functions/)'}`);
    await Promise.all(
      names.map(async (name) => {
        const port = ports.functions[name] ?? 0;
        const logFile = freshLog(logs, name);
        const proc = startFunction({
          root,
          name,
          port,
          env: { ...process.env, ...env },
          logFile,
          onLine: (l) => onLine(name, l),
          ...(bundles === undefined ? {} : { source: path.join(bundles, name, ENTRY) }),
        });
        functions.set(name, proc);
        let dead = false;
        proc.child.once('exit', (code, signal) => {
          dead = true;
          if (stopping || status[name] !== 'running') return;
          status[name] = 'exited';
          say(`✗ ${name} exited (${signal ?? `code ${code}`}); its routes now answer 503. See ${logFile}`);
          writeInfo();
        });
        try {
          await waitForAnswer(`http://127.0.0.1:${port}/`, options.functionTimeoutMs ?? 30_000, () => dead);
          status[name] = 'running';
        } catch (e) {
          status[name] = 'failed';
          await proc.stop();
          say(`✗ ${name} did not start: ${(e as Error).message}\n${tail(logFile, 12)}`);
          if (options.strict) throw new Error(`function ${name} did not start: ${(e as Error).message}\n${tail(logFile, 12)}`, { cause: e });
        }
      }),
    );
    const running = (fn: string): boolean => status[fn] === 'running';
    const functionUrl = (fn: string): string | undefined => (running(fn) ? `http://127.0.0.1:${ports.functions[fn]}` : undefined);

    const topology = await createPubsubTopology({ emulatorHost: pubsub.host, projectId, functionUrl });

    const accessLog = createWriteStream(path.join(logs, 'edge.log'), { flags: 'w' });
    streams.push(accessLog);
    const edgeLog = createLogger({ service: 'edge', write: (l) => accessLog.write(`${l}\n`) });
    edge = await startEdge({
      httpPort: ports.edgeHttp,
      httpsPort: ports.edgeHttps,
      tls: { cert: certs.server.cert, key: certs.server.key },
      trustBundleFile: trustBundle,
      upstream: (fn) => (running(fn) ? { host: '127.0.0.1', port: ports.functions[fn] ?? 0 } : undefined),
      onAccess: (entry) => {
        edgeLog.info('request', { ...entry });
        if (entry.origin === 'edge') onLine('edge', `${entry.method} ${entry.path} ${entry.status}${entry.function === undefined ? ' (no route)' : ` (${entry.function} not running)`}`);
      },
    });

    const jobsUrl = functionUrl(JOBS_FUNCTION);
    if (jobsUrl !== undefined) {
      const jobLog = createWriteStream(path.join(logs, 'scheduler.log'), { flags: 'w' });
      streams.push(jobLog);
      const failing = new Set<string>();
      scheduler = startScheduler({
        baseUrl: jobsUrl,
        onRun: (run) => {
          jobLog.write(`${JSON.stringify({ time: new Date().toISOString(), ...run })}\n`);
          const ok = typeof run.status === 'number' && run.status < 300;
          if (!ok && !failing.has(run.job)) onLine('scheduler', `${run.job}: ${run.status} (logged in scheduler.log until it recovers)`);
          if (ok && failing.has(run.job)) onLine('scheduler', `${run.job}: recovered`);
          if (ok) failing.delete(run.job);
          else failing.add(run.job);
        },
        onMissing: (job) => onLine('scheduler', `${job.name}: the jobs function has no ${job.path} yet (404), skipped`),
      });
    }

    const info = (): StackInfo => ({
      version: 1,
      pid: process.pid,
      projectId,
      startedAt,
      stateDir,
      edge: { http: edge?.httpUrl ?? '', https: edge?.httpsUrl ?? '', caCert: certs.ca.certFile, trustBundle },
      emulators: { firestore: firestore.host, pubsub: pubsub.host },
      functions: Object.fromEntries(
        names.map((n) => [n, { url: `http://127.0.0.1:${ports.functions[n]}`, port: ports.functions[n] ?? 0, log: path.join(logs, `${n}.log`), status: status[n] ?? 'failed' }]),
      ),
      env,
      pubsub: topology,
      jobs: jobsUrl === undefined ? [] : JOBS.map((j) => j.name),
      logs,
      firestoreData: {
        dir: dataDir,
        persist,
        fresh,
        restored: Object.keys(restored?.databases ?? {}),
        savedAt: restored?.savedAt ?? null,
        rules: existsSync(rulesFile) ? rulesFile : null,
      },
    });
    writeInfo = (): void => {
      if (!stopping) writeStackInfo(info());
    };
    writeInfo();
    return { info: info(), ports, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The databases the functions use (the platform one and one per region), read
 * the way they read them; the defaults when the shell's `IAM_*` overrides do
 * not parse (the functions then report that themselves).
 */
function stackDatabases(merged: Readonly<Record<string, string | undefined>>, base: Readonly<Record<string, string>>): string[] {
  for (const env of [merged, base]) {
    try {
      const config = loadConfig(env);
      return [config.platformDatabase, ...Object.values(config.databases)];
    } catch {
      // try the next
    }
  }
  return [];
}

async function settle(p: Promise<unknown> | undefined): Promise<void> {
  try {
    await p;
  } catch {
    // keep stopping the rest
  }
}

/** `IAM_STACK_PROJECT`, which must be a `demo-` project (the emulators never reach real ones). */
function projectIdFrom(env: Readonly<Record<string, string | undefined>>): string {
  const id = env['IAM_STACK_PROJECT'] ?? LOCAL_PROJECT_ID;
  if (!/^demo-[a-z0-9-]{1,24}$/.test(id)) throw new Error(`IAM_STACK_PROJECT must be a demo- project id, got '${id}'`);
  return id;
}

/** Throws, naming the env vars to change, when any port of the stack is taken. */
async function assertPortsFree(ports: StackPorts): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of allPorts(ports)) {
    if (!(await portFree(port))) taken.push(`${name} (${port})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `ports in use: ${taken.join(', ')}. Is another stack running? Stop it, or move this one with ${PORT_ENV.base}=<base> (default 8000).`,
    );
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function freshLog(dir: string, name: string): string {
  const file = path.join(dir, `${name}.log`);
  writeFileSync(file, '');
  return file;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return '';
  }
}
