/**
 * In-memory stores: the same unit of work, repositories and residency guard as
 * the Firestore backend, over {@link MemoryDatabase}s. A TEST DOUBLE: use it in
 * unit tests, never in production or `npm start`.
 */
import { REGIONS, type Region } from '../../domain/tenants/tenant.ts';
import { assembleStores, type Stores } from '../store/stores.ts';
import { MemoryDatabase } from './memory-database.ts';

/** In-memory stores, with the raw databases typed as {@link MemoryDatabase}. */
export interface MemoryStores extends Stores {
  readonly databases: { readonly regions: Readonly<Record<Region, MemoryDatabase>>; readonly platform: MemoryDatabase };
}

/** Fresh, empty in-memory stores: one database per region and the platform database. */
export function createMemoryStores(): MemoryStores {
  const regions = Object.fromEntries(REGIONS.map((r) => [r, new MemoryDatabase(`iam-${r}`)])) as Record<Region, MemoryDatabase>;
  const platform = new MemoryDatabase('(default)');
  const stores = assembleStores(regions, platform);
  return { ...stores, databases: { regions, platform } };
}
