/**
 * `npm start`: the whole local stack of SPEC section 2 on loopback.
 *
 * Both emulators (topics, push subscriptions and DLQs created), every function
 * in `functions/` under functions-framework, the local edge on
 * http://127.0.0.1:8080 and https://127.0.0.1:8443, and the scheduled jobs on
 * timers. Prints every URL; Ctrl-C or SIGTERM stops everything it started.
 * The Firestore data (every database) is saved on stop and restored at the
 * next start, under `.local/firestore/<project>/`.
 *
 *   npm start [-- --strict] [-- --quiet] [-- --fresh] [-- --bundled]
 *
 * --strict  exit when any function fails to start (default: keep going, its routes answer 503)
 * --quiet   do not echo function logs to the terminal (they are always in .local/logs/)
 * --fresh   start with an empty Firestore (also IAM_STACK_FRESH=1); the save is set aside, not deleted
 * --bundled run each function from its bundle (`npm run build`'s output, built into .local/dist): what is deployed
 *
 * Ports move with IAM_STACK_PORT_BASE (default 8000) or IAM_STACK_EDGE_HTTP_PORT,
 * IAM_STACK_EDGE_HTTPS_PORT, IAM_STACK_FIRESTORE_PORT, IAM_STACK_PUBSUB_PORT;
 * IAM_STACK_STATE_DIR moves `.local`. See docs/local-stack.md.
 */
import path from 'node:path';
import { compactLogLine, deduper } from './stack/log-view.ts';
import { killAllNow, stopAll } from './stack/processes.ts';
import { DEFAULT_STATE_DIR, stackFilePath } from './stack/stack-info.ts';
import { startStack, type RunningStack } from './stack/stack.ts';
import { JOBS, SUBSCRIPTIONS } from './stack/topology.ts';

// The Google clients must never probe the GCE metadata server from here.
process.env['METADATA_SERVER_DETECTION'] = 'none';

const args = new Set(process.argv.slice(2));
if (args.has('--help') || args.has('-h')) {
  process.stdout.write('usage: npm start [-- --strict] [-- --quiet] [-- --fresh] [-- --bundled]   (see docs/local-stack.md)\n');
  process.exit(0);
}
const strict = args.has('--strict');
const quiet = args.has('--quiet');
const freshStart = args.has('--fresh') || ['1', 'true'].includes(process.env['IAM_STACK_FRESH'] ?? '');
const root = path.resolve(import.meta.dirname, '..');
const stateDir = path.resolve(root, process.env['IAM_STACK_STATE_DIR'] ?? DEFAULT_STATE_DIR);
const began = performance.now();

const out = (line: string): void => {
  try {
    process.stdout.write(`${line}\n`);
  } catch {
    // the terminal went away; keep running until a signal stops us
  }
};
const rel = (p: string): string => path.relative(process.cwd(), p) || '.';

const fresh = deduper();
let stack: RunningStack | undefined;
// Start-up chatter (readiness probes) stays in the log files; a function that
// fails to start has the tail of its log printed instead.
let echoing = false;
let stopping = false;

async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) {
    // A second Ctrl-C: no more waiting.
    killAllNow();
    process.exit(code === 0 ? 130 : code);
  }
  stopping = true;
  out(`\n${reason}: stopping everything…`);
  const timer = setTimeout(() => {
    killAllNow();
    process.exit(1);
  }, 15_000);
  try {
    if (stack !== undefined) await stack.stop();
    await stopAll();
  } finally {
    clearTimeout(timer);
  }
  out('stopped.');
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(signal, 0));
}
process.on('exit', killAllNow);
process.on('uncaughtException', (e) => {
  out(`unexpected error: ${e.stack ?? e.message}`);
  void shutdown('crash', 1);
});
process.on('unhandledRejection', (e) => {
  out(`unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  void shutdown('crash', 1);
});

try {
  out('iam-service: starting the local stack');
  stack = await startStack({
    root,
    stateDir,
    env: process.env,
    strict,
    fresh: freshStart,
    bundled: args.has('--bundled'),
    say: (line) => out(`  ${line}`),
    onLine: (source, line) => {
      if (quiet) return;
      const own = source === 'edge' || source === 'scheduler';
      if (!own && !echoing) return;
      const compact = own ? `${source.padEnd(18)}| ${line}` : compactLogLine(source, line);
      if (compact !== undefined && fresh(source, compact) !== undefined) out(compact);
    },
  });
} catch (e) {
  out(`\nnpm start failed: ${(e as Error).message}`);
  await shutdown('failure', 1);
}

if (stack !== undefined && !stopping) {
  printSummary(stack);
  echoing = true;
}

function printSummary(s: RunningStack): void {
  const i = s.info;
  const pad = (label: string): string => `  ${label.padEnd(12)}`;
  const lines: string[] = [
    '',
    `iam-service local stack is up in ${((performance.now() - began) / 1000).toFixed(1)} s (project ${i.projectId})`,
    '',
    `${pad('edge')}${i.edge.http}`,
    `${pad('')}${i.edge.https}   (asks for a client certificate; server cert from ${rel(i.edge.caCert)})`,
    `${pad('discovery')}${i.edge.http}/.well-known/openid-configuration`,
    `${pad('jwks')}${i.edge.http}/.well-known/jwks.json`,
    '',
  ];
  const fns = Object.entries(i.functions);
  if (fns.length === 0) lines.push(`${pad('functions')}(none in functions/)`);
  fns.forEach(([name, f], n) => {
    const state = f.status === 'running' ? '' : `  ✗ ${f.status.toUpperCase()}`;
    lines.push(`${pad(n === 0 ? 'functions' : '')}${name.padEnd(18)} ${f.url}   log ${rel(f.log)}${state}`);
  });
  lines.push(
    '',
    `${pad('emulators')}firestore          ${i.emulators.firestore}   (FIRESTORE_EMULATOR_HOST)`,
    `${pad('')}pubsub             ${i.emulators.pubsub}   (PUBSUB_EMULATOR_HOST)`,
    ...dataLines(s),
    '',
    `${pad('pubsub')}topics: ${i.pubsub.topics.join(', ')}`,
  );
  for (const sub of i.pubsub.subscriptions.filter((x) => x.kind === 'push')) lines.push(`${pad('')}push ${sub.name} -> ${sub.endpoint ?? ''}`);
  for (const sk of i.pubsub.skipped) lines.push(`${pad('')}push ${sk.name} skipped: no ${sk.function} function yet`);
  lines.push(`${pad('')}pull taps: ${i.pubsub.subscriptions.filter((x) => x.kind === 'pull').map((x) => x.name).join(', ')}`);
  lines.push('');
  if (i.jobs.length === 0) lines.push(`${pad('jobs')}none: there is no jobs function yet`);
  else lines.push(`${pad('jobs')}${JOBS.map((j) => `${j.name} every ${j.localEveryMs / 1000} s`).join(', ')}`);
  lines.push(
    '',
    `${pad('stack.json')}${rel(stackFilePath(i.stateDir))}   logs ${rel(i.logs)}/`,
    `${pad('')}${SUBSCRIPTIONS.length} subscriptions declared in scripts/stack/topology.ts`,
    '',
    'Ready. Ctrl-C stops everything.',
  );
  out(lines.join('\n'));
}

function dataLines(s: RunningStack): string[] {
  const d = s.info.firestoreData;
  const pad = `  ${''.padEnd(12)}`;
  if (d === undefined || !d.persist) return [];
  const how =
    d.restored.length > 0
      ? `restored ${d.restored.length} databases saved ${d.savedAt ?? '?'}`
      : d.fresh
        ? 'started empty (--fresh)'
        : 'empty: nothing saved yet';
  return [`${pad}firestore data     ${rel(d.dir)}/   ${how}; saved on stop. \`npm start -- --fresh\` starts empty`];
}
