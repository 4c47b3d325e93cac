import type { Config } from '../config.ts';
import type { Clock, KeyRing } from '../domain/ports.ts';
import { systemClock } from './local/clock.ts';

/**
 * Opens the key ring the configuration names: Cloud KMS key versions
 * (`IAM_SIGNER=kms`) or the local ring on the emulator (`IAM_SIGNER=local`,
 * which `loadConfig` allows only with the Firestore emulator). Only the chosen
 * adapter's SDK is imported. Call once per process, at cold start; no network
 * call happens until the ring is first used.
 */
export async function openKeyRing(
  config: Pick<Config, 'signer' | 'projectId' | 'platformDatabase' | 'emulators'>,
  clock: Clock = systemClock,
): Promise<KeyRing> {
  const signer = config.signer;
  if (signer.kind === 'kms') {
    const [{ createKmsClient }, { createKmsKeyRing }] = await Promise.all([
      import('./kms/kms-client.ts'),
      import('./kms/kms-key-ring.ts'),
    ]);
    const client = await createKmsClient({ endpoint: signer.endpoint });
    return createKmsKeyRing(client, { current: signer.current, next: signer.next, previous: signer.previous });
  }
  const [{ createLocalKeyRing }, { firestoreKeyStore, platformFirestore }] = await Promise.all([
    import('./local/local-key-ring.ts'),
    import('./local/local-key-ring-firestore.ts'),
  ]);
  const firestore = platformFirestore({
    projectId: config.projectId,
    databaseId: config.platformDatabase,
    emulatorHost: config.emulators.firestore,
  });
  return createLocalKeyRing(firestoreKeyStore(firestore), { clock });
}
