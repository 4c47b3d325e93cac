/**
 * Test helper: a snapshot of every document iam-service's foundation writes,
 * in every database of a backend, to prove that a rejection wrote nothing.
 */
import type { DocDatabase } from '../../../shared/adapters/store/documents.ts';

/** The collections the tenant events and the outbox touch. */
export const FOUNDATION_COLLECTIONS = ['tenants', 'outbox', 'audit', 'inbox', 'tenant_directory'] as const;

/** Every document of {@link FOUNDATION_COLLECTIONS} in `databases`, keyed `db/collection/id`. */
export async function snapshotDatabases(databases: {
  readonly regions: Readonly<Record<string, DocDatabase>>;
  readonly platform: DocDatabase;
}): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const all: Array<readonly [string, DocDatabase]> = [...Object.entries(databases.regions), ['platform', databases.platform]];
  for (const [label, db] of all) {
    for (const collection of FOUNDATION_COLLECTIONS) {
      for (const doc of await db.query(collection, {})) out[`${label}/${collection}/${doc.id}`] = doc.data;
    }
  }
  return out;
}
