/**
 * The iamctl driver: finds the command file, parses its flags (unknown flags
 * refused, values checked with the command's valibot schema), runs it, and
 * prints either lines for a person or, under `--json`, one JSON object as the
 * last stdout line. Every failure is one line on stderr and a non-zero exit.
 */
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { describeIssue } from '../../shared/domain/events/describe-issue.ts';
import { IamError } from '../../shared/domain/errors.ts';
import type { EventPublisher } from '../../shared/domain/ports.ts';
import { CliError, EXIT, usageError, type Command, type CommandContext, type StackTarget } from './command.ts';
import { assertEmulatorUp, resolveStack } from './stack.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Where command files live. */
export const COMMANDS_DIR = path.join(HERE, 'commands');
const REPO_ROOT = path.resolve(HERE, '..', '..');
const WORD = /^[a-z][a-z0-9-]*$/;
const GLOBAL_FLAGS = { json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

/** Where output goes; the real process streams by default. */
export interface Io {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Runs iamctl with `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  try {
    return await dispatch(argv, io, json);
  } catch (e) {
    const err = toCliError(e);
    io.stderr(`iamctl: error: ${err.message}`);
    if (json) io.stdout(JSON.stringify({ error: err.code, error_description: err.message }));
    return err.exitCode;
  }
}

async function dispatch(argv: readonly string[], io: Io, json: boolean): Promise<number> {
  let i = 0;
  while (i < argv.length && (argv[i] === '--json' || argv[i] === '--help' || argv[i] === '-h')) i++;
  const words: string[] = [];
  while (i < argv.length && !(argv[i] as string).startsWith('-') && words.length < 2) words.push(argv[i++] as string);
  const rest = argv.slice(i);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');

  if (words.length === 0) {
    if (i < argv.length) throw usageError(`expected a command before '${argv[i] ?? ''}'; run iamctl --help`);
    if (!wantsHelp) throw usageError('no command given; run iamctl --help');
    io.stdout(await overview());
    return EXIT.ok;
  }
  const [noun, verb] = words as [string, string | undefined];
  if (verb === undefined) throw usageError(`'${noun}' needs a subcommand: ${verbsOf(noun).join(', ') || 'none known'}; run iamctl --help`);
  const command = await load(noun, verb);
  const usage = `usage: iamctl ${noun} ${verb} ${command.usage} [--json]`;
  if (wantsHelp) {
    io.stdout(`${command.summary}\n${usage}`);
    return EXIT.ok;
  }
  const flags = parseFlags(command, rest);
  const ctx = context(io, json);
  const result = await command.run(ctx, flags);
  if (json) io.stdout(JSON.stringify(result.json));
  else for (const line of result.human) io.stdout(line);
  if (result.failure !== undefined) {
    io.stderr(`iamctl: error: ${result.failure}`);
    return EXIT.failure;
  }
  return EXIT.ok;
}

function parseFlags(command: Command, rest: readonly string[]): unknown {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: { ...command.flags, ...GLOBAL_FLAGS },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    // parseArgs' messages are one line already; drop its advice to use '--'.
    throw usageError((e as Error).message.split('\n')[0]?.replace(/\. To specify.*$/, '') ?? 'bad arguments');
  }
  const { json: _json, help: _help, ...own } = values;
  const parsed = v.safeParse(command.schema, own);
  if (!parsed.success) throw usageError(flagIssue(parsed.issues));
  return parsed.output;
}

/** Turns the first valibot issue into a line about the flag (`--region ...`). */
function flagIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const text = describeIssue(issues);
  return text.replace(/'([a-z][a-z0-9-]*)'/, '--$1').replace(/^unknown field --/, 'unknown flag --');
}

async function load(noun: string, verb: string): Promise<Command> {
  const file = path.join(COMMANDS_DIR, noun, `${verb}.ts`);
  if (!WORD.test(noun) || !WORD.test(verb) || !existsSync(file)) {
    const verbs = verbsOf(noun);
    const hint = verbs.length > 0 ? `; '${noun}' has: ${verbs.join(', ')}` : '; run iamctl --help';
    throw usageError(`unknown command '${noun} ${verb}'${hint}`);
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: Command };
  if (mod.default === undefined) throw new Error(`${file} has no default export`);
  return mod.default;
}

function verbsOf(noun: string): string[] {
  const dir = path.join(COMMANDS_DIR, noun);
  if (!WORD.test(noun) || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function overview(): Promise<string> {
  const lines = ['iamctl: the iam-service operator CLI', '', 'commands:'];
  for (const noun of readdirSync(COMMANDS_DIR).sort()) {
    for (const verb of verbsOf(noun)) {
      const c = await load(noun, verb);
      lines.push(`  ${`${noun} ${verb}`.padEnd(22)} ${c.summary}`);
    }
  }
  lines.push('', 'global flags: --json (last stdout line is one JSON object), --help', 'run `iamctl <noun> <verb> --help` for its flags; see docs/iamctl.md');
  return lines.join('\n');
}

function context(io: Io, json: boolean): CommandContext {
  let target: StackTarget | undefined;
  const getTarget = async (): Promise<StackTarget> => {
    if (target === undefined) {
      target = resolveStack(io.env, REPO_ROOT);
      // A local Google client must not probe the GCE metadata server.
      if (target.local) process.env['METADATA_SERVER_DETECTION'] ??= 'none';
    }
    return target;
  };
  let stores: Stores | undefined;
  let publisher: EventPublisher | undefined;
  return {
    json,
    cwd: io.cwd,
    target: getTarget,
    async stores() {
      if (stores === undefined) {
        const t = await getTarget();
        if (t.config.emulators.firestore !== undefined) await assertEmulatorUp('Firestore', t.config.emulators.firestore);
        const { createFirestoreStores } = await import('../../shared/adapters/firestore/stores.ts');
        stores = createFirestoreStores(t.config);
      }
      return stores;
    },
    async publisher() {
      if (publisher === undefined) {
        const t = await getTarget();
        if (t.config.emulators.pubsub !== undefined) await assertEmulatorUp('Pub/Sub', t.config.emulators.pubsub);
        const [{ pubsubClient }, { createPubSubPublisher }] = await Promise.all([
          import('../../shared/adapters/pubsub/client.ts'),
          import('../../shared/adapters/pubsub/publisher.ts'),
        ]);
        publisher = createPubSubPublisher(pubsubClient({ projectId: t.config.projectId, emulatorHost: t.config.emulators.pubsub }));
      }
      return publisher;
    },
    progress(message) {
      io.stderr(`iamctl: ${message}`);
    },
  };
}

function toCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof IamError) return new CliError(e.code, e.message);
  const message = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return new CliError('failed', message.split('\n')[0] ?? 'failed');
}
