/**
 * The real Firestore and Pub/Sub emulators of the Google Cloud CLI (SPEC section 2).
 */
import { existsSync } from 'node:fs';
import { startProcess, waitForHttp, type Managed } from './processes.ts';

const SDK = process.env['CLOUDSDK_ROOT'] ?? '/usr/lib/google-cloud-sdk';
/** The Firestore emulator launcher. */
export const FIRESTORE_BIN = `${SDK}/platform/cloud-firestore-emulator/cloud_firestore_emulator`;
/** The Pub/Sub emulator launcher. */
export const PUBSUB_BIN = `${SDK}/platform/pubsub-emulator/bin/cloud-pubsub-emulator`;

/** A running emulator. */
export interface Emulator {
  /** `127.0.0.1:port`, the value for `*_EMULATOR_HOST`. */
  readonly host: string;
  readonly port: number;
  readonly process: Managed;
  stop(): Promise<void>;
}

/** Options of {@link startFirestoreEmulator}. */
export interface FirestoreEmulatorOptions {
  /**
   * A security rules file (`firestore.rules`). The server SDKs send the
   * emulator's owner token and bypass rules, as the Admin SDK and IAM do in
   * production; a request without it is judged by the rules.
   */
  readonly rules?: string;
}

/** Starts the Firestore emulator on `port` and waits until it answers. */
export async function startFirestoreEmulator(port: number, logFile?: string, options: FirestoreEmulatorOptions = {}): Promise<Emulator> {
  const args = ['start', '--host=127.0.0.1', `--port=${port}`];
  if (options.rules !== undefined) args.push(`--rules=${options.rules}`);
  return start('firestore', FIRESTORE_BIN, args, port, logFile);
}

/** Starts the Pub/Sub emulator on `port` and waits until it answers. */
export async function startPubsubEmulator(port: number, logFile?: string): Promise<Emulator> {
  return start('pubsub', PUBSUB_BIN, ['--host=127.0.0.1', `--port=${port}`], port, logFile);
}

async function start(name: string, bin: string, args: string[], port: number, logFile?: string): Promise<Emulator> {
  if (!existsSync(bin)) throw new Error(`the ${name} emulator is not installed at ${bin}`);
  const proc = startProcess({ name: `${name}-emulator`, command: bin, args, ...(logFile ? { logFile } : {}) });
  let dead = false;
  proc.child.once('exit', () => {
    dead = true;
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, 60_000, () => dead);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { host: `127.0.0.1:${port}`, port, process: proc, stop: () => proc.stop() };
}

/** Deletes every document of one database of one project (the emulator's reset endpoint). */
export async function resetFirestore(host: string, projectId: string, database: string): Promise<void> {
  const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/${encodeURIComponent(database)}/documents`, {
    method: 'DELETE',
  });
  if (!res.ok) throw new Error(`firestore reset failed: ${res.status}`);
}
