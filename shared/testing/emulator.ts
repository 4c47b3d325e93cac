/**
 * Helpers for `*.e2e.test.ts` files: the emulators started by the vitest global
 * setup, and a fresh project id per test file so files never see each other's data.
 */
import { randomBytes } from 'node:crypto';

/** The emulator hosts of this test run. */
export function emulatorHosts(): { readonly firestore: string; readonly pubsub: string } {
  const firestore = process.env['FIRESTORE_EMULATOR_HOST'];
  const pubsub = process.env['PUBSUB_EMULATOR_HOST'];
  if (firestore === undefined || pubsub === undefined) {
    throw new Error('the emulators are not running: run tests through `npm test` or `npx vitest`');
  }
  return { firestore, pubsub };
}

/** A project id no other test file uses. Emulators keep data per project. */
export function testProjectId(prefix = 'test'): string {
  return `demo-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A base environment for loading config in a test. */
export function testEnv(projectId: string, extra: Record<string, string> = {}): Record<string, string> {
  const hosts = emulatorHosts();
  return {
    GOOGLE_CLOUD_PROJECT: projectId,
    IAM_ISSUER: 'http://127.0.0.1:8080',
    IAM_SIGNER: 'local',
    FIRESTORE_EMULATOR_HOST: hosts.firestore,
    PUBSUB_EMULATOR_HOST: hosts.pubsub,
    METADATA_SERVER_DETECTION: 'none',
    ...extra,
  };
}
