/**
 * Child processes for the local stack and the e2e tests. Each child runs in its
 * own process group, so stopping it stops everything it started (the emulator
 * launchers are scripts that start a Java child).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';

/** A child process we started and can stop, with everything it spawned. */
export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process group is gone. */
  stop(): Promise<void>;
}

/** Options for {@link startProcess}. */
export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** A file to append stdout and stderr to; by default they are ignored. */
  readonly logFile?: string;
  /** Called with each line of output. */
  readonly onLine?: (line: string) => void;
}

const live = new Set<Managed>();

/** Starts a child in its own process group. */
export function startProcess(options: StartOptions): Managed {
  const child = spawn(options.command, [...options.args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      if (options.onLine === undefined) return;
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const managed: Managed = {
    name: options.name,
    child,
    stop: async () => {
      live.delete(managed);
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      // The launcher may exit before its Java child: make sure the group is gone.
      killGroup(child, 'SIGKILL');
      log?.end();
    },
  };
  live.add(managed);
  return managed;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Stops every process this module started, in reverse order. */
export async function stopAll(): Promise<void> {
  for (const m of [...live].reverse()) await m.stop();
}

/** Synchronously SIGKILLs every group still running (for `process.on('exit')`). */
export function killAllNow(): void {
  for (const m of live) killGroup(m.child, 'SIGKILL');
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, isDead: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (isDead()) throw new Error(`${url}: the process exited before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} was not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
