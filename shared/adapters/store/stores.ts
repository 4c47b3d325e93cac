/** What a storage backend gives the application. */
import type { TenantDirectory, UnitOfWork } from '../../domain/ports.ts';
import type { Region } from '../../domain/tenants/tenant.ts';
import type { DocDatabase } from './documents.ts';
import { documentTenantDirectory } from './tenant-directory.ts';
import { documentUnitOfWork } from './unit-of-work.ts';

/** The storage of iam-service: regional transactions and the tenant directory. */
export interface Stores {
  /** Transactions in a region's database, with the residency guard. */
  readonly uow: UnitOfWork;
  /** The tenant directory, in the platform database. */
  readonly directory: TenantDirectory;
  /** The raw databases, for repositories outside `TxRepos`, tests and tools. Writes here bypass the guard. */
  readonly databases: { readonly regions: Readonly<Record<Region, DocDatabase>>; readonly platform: DocDatabase };
}

/** Builds the stores over one database per region and the platform database. */
export function assembleStores(regions: Readonly<Record<Region, DocDatabase>>, platform: DocDatabase): Stores {
  const directory = documentTenantDirectory(platform);
  return { uow: documentUnitOfWork(regions, directory), directory, databases: { regions, platform } };
}
