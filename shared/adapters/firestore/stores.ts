/**
 * Firestore stores: one named database per region (`config.databases`, e.g.
 * `iam-eu`) and the platform database (`config.platformDatabase`, `(default)`)
 * holding the tenant directory. Same unit of work, repositories and residency
 * guard as the in-memory backend.
 */
import type { Config } from '../../config.ts';
import { REGIONS, type Region } from '../../domain/tenants/tenant.ts';
import { assembleStores, type Stores } from '../store/stores.ts';
import { FirestoreDatabase, firestoreClient, type FirestoreClientOptions } from './firestore-database.ts';

export { terminateFirestoreClients } from './firestore-database.ts';

/** The part of the configuration the Firestore stores read. */
export type FirestoreStoresConfig = Pick<Config, 'projectId' | 'databases' | 'platformDatabase' | 'emulators'>;

/** Options of {@link createFirestoreStores}. */
export interface FirestoreStoresOptions {
  /** Use HTTP/1.1 REST rather than gRPC (default true: faster cold start, see docs/storage.md). */
  readonly preferRest?: boolean;
  /** How often a contended transaction runs before failing with `temporarily_unavailable` (default 25). */
  readonly maxAttempts?: number;
}

/**
 * Stores over Firestore. Clients are cached per (project, database), so calling
 * this again at module scope or per test is cheap.
 */
export function createFirestoreStores(config: FirestoreStoresConfig, options: FirestoreStoresOptions = {}): Stores {
  const clientOptions: FirestoreClientOptions = {
    emulatorHost: config.emulators.firestore,
    ...(options.preferRest === undefined ? {} : { preferRest: options.preferRest }),
  };
  const dbOptions = options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts };
  const database = (id: string) => new FirestoreDatabase(firestoreClient(config.projectId, id, clientOptions), dbOptions);
  const regions = Object.fromEntries(REGIONS.map((r) => [r, database(config.databases[r])])) as Record<Region, FirestoreDatabase>;
  return assembleStores(regions, database(config.platformDatabase));
}
