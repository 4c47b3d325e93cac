/**
 * What an `iamctl` command is. A command is one file,
 * `scripts/iamctl/commands/<noun>/<verb>.ts`, whose default export is
 * `defineCommand({...})`: adding a command adds that file and nothing else.
 */
import type * as v from 'valibot';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import type { Config } from '../../shared/config.ts';
import type { EventPublisher } from '../../shared/domain/ports.ts';

/** One flag, as `node:util` `parseArgs` takes it. Flags are long-only (`--tenant`). */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
}

/** Where the running stack is, and how it was found. */
export interface StackTarget {
  readonly config: Config;
  /** `env`, `stack.json (pid N)`, or `defaults`. */
  readonly source: string;
  /** True when the target is the local emulators. */
  readonly local: boolean;
}

/** What a command gets besides its flags. Clients are built on first use. */
export interface CommandContext {
  /** True under `--json`: the command's human output is not printed. */
  readonly json: boolean;
  /** The directory iamctl was started in (for relative file flags). */
  readonly cwd: string;
  /** The running stack. */
  target(): Promise<StackTarget>;
  /** Storage of the target (Firestore), after checking it answers. */
  stores(): Promise<Stores>;
  /** A Pub/Sub publisher on the target, after checking it answers. */
  publisher(): Promise<EventPublisher>;
  /** A progress line on stderr (long runs). */
  progress(message: string): void;
}

/** What a command returns. */
export interface CommandResult {
  /** Lines for a person (stdout, without `--json`). */
  readonly human: readonly string[];
  /** The `--json` object: snake_case keys. */
  readonly json: object;
  /** Set when the command ran but its finding is a failure (non-zero exit, this line on stderr). */
  readonly failure?: string;
}

/** An `iamctl` command. */
export interface Command<S extends v.GenericSchema = v.GenericSchema> {
  /** One line for `iamctl --help`. */
  readonly summary: string;
  /** The flags after the command words, e.g. `--id T --region eu|me|us [--policy file.json]`. */
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Validates the parsed flags (a `strictObject` keyed by flag name). */
  readonly schema: S;
  run(ctx: CommandContext, flags: v.InferOutput<S>): Promise<CommandResult>;
}

/** Declares a command, keeping its flag types. */
export function defineCommand<S extends v.GenericSchema>(command: Command<S>): Command<S> {
  return command;
}

/** Exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A failure with a stable snake_case code and one clear line. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A usage error (bad or missing flags): exit code 2. */
export function usageError(message: string): CliError {
  return new CliError('invalid_arguments', message, EXIT.usage);
}
