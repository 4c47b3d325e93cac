import type { Config } from '../config.ts';
import type { BreakerSettings } from '../domain/keys/circuit-breaker.ts';
import type { FailoverEvent } from '../domain/keys/failover-key-ring.ts';
import type { Clock, KeyRing } from '../domain/ports.ts';
import type { Logger } from '../log.ts';
import { systemClock } from './local/clock.ts';

/** Options for {@link openKeyRing}. */
export interface OpenKeyRingOptions {
  /** Where breaker changes and signing failures are logged (KMS only). */
  readonly log?: Pick<Logger, 'warn' | 'error' | 'notice'>;
  /** Circuit breaker tuning (KMS only; defaults in `BREAKER_DEFAULTS`). */
  readonly breaker?: BreakerSettings;
}

/**
 * Opens the key ring the configuration names: Cloud KMS key versions
 * (`IAM_SIGNER=kms`) or the local ring on the emulator (`IAM_SIGNER=local`,
 * which `loadConfig` allows only with the Firestore emulator). Only the chosen
 * adapter's SDK is imported. Call once per process, at cold start; no network
 * call happens until the ring is first used.
 *
 * The KMS ring is the failover ring (`failover-key-ring.ts`): the primary key
 * versions behind a circuit breaker, failing over to the replica-region key
 * versions (`IAM_KMS_REPLICA_KEY_*`) behind their own; docs/keys.md.
 */
export async function openKeyRing(
  config: Pick<Config, 'signer' | 'projectId' | 'platformDatabase' | 'emulators'>,
  clock: Clock = systemClock,
  options: OpenKeyRingOptions = {},
): Promise<KeyRing> {
  const signer = config.signer;
  if (signer.kind === 'kms') {
    const [{ createKmsClient }, { createKmsKeyRing }, { createFailoverKeyRing }] = await Promise.all([
      import('./kms/kms-client.ts'),
      import('./kms/kms-key-ring.ts'),
      import('../domain/keys/failover-key-ring.ts'),
    ]);
    const client = await createKmsClient({ endpoint: signer.endpoint });
    const { log } = options;
    return createFailoverKeyRing({
      primary: createKmsKeyRing(client, { current: signer.current, next: signer.next, previous: signer.previous }),
      replica: signer.replica === undefined ? undefined : createKmsKeyRing(client, signer.replica),
      clock,
      breaker: options.breaker,
      onEvent: log === undefined ? undefined : (e) => logFailoverEvent(log, e),
    });
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

/** One log line per breaker change (an opened breaker is an error: signing is degraded) and per failed KMS call. */
export function logFailoverEvent(log: Pick<Logger, 'warn' | 'error' | 'notice'>, e: FailoverEvent): void {
  if (e.kind === 'failure') {
    log.warn('KMS signing key failed', { leg: e.leg, err: e.error instanceof Error ? e.error.message : String(e.error) });
    return;
  }
  const fields = { leg: e.leg, from: e.from, to: e.to };
  if (e.to === 'open') log.error(`KMS circuit breaker of the ${e.leg} key opened`, fields);
  else log.notice(`KMS circuit breaker of the ${e.leg} key ${e.to === 'closed' ? 'closed' : e.to}`, fields);
}
