/**
 * Starts one Firestore and one Pub/Sub emulator on free loopback ports for the
 * whole test run, so tests never collide with a running `npm start`. Test files
 * isolate themselves by project id (see `shared/testing/emulator.ts`).
 */
import { startFirestoreEmulator, startPubsubEmulator, type Emulator } from './emulators.ts';
import { freePort, killAllNow } from './processes.ts';

let running: Emulator[] = [];

export async function setup(): Promise<void> {
  // Emulators run in their own process groups: if the test run is interrupted,
  // take them down with it instead of leaving Java orphans behind.
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(130);
    });
  }
  const [firestore, pubsub] = await Promise.all([
    startFirestoreEmulator(await freePort()),
    startPubsubEmulator(await freePort()),
  ]);
  running = [firestore, pubsub];
  process.env['FIRESTORE_EMULATOR_HOST'] = firestore.host;
  process.env['PUBSUB_EMULATOR_HOST'] = pubsub.host;
  process.env['METADATA_SERVER_DETECTION'] = 'none';
}

export async function teardown(): Promise<void> {
  await Promise.all(running.map((e) => e.stop()));
}
