/**
 * The local stack's Firestore data, kept across `npm start` runs.
 *
 * The emulator holds everything in memory, and its `--export-on-exit` flag
 * does not fire when the stack stops it (the JVM only closes its gRPC server),
 * so the stack saves and restores explicitly, one database at a time, through
 * the emulator's own endpoints (the same export format as `gcloud firestore
 * export`):
 *
 *   POST /emulator/v1/projects/P/databases/D:export  {database, export_directory, export_name}
 *   POST /emulator/v1/projects/P/databases/D:import  {database, export_directory: <the .overall_export_metadata file>}
 *
 * Layout, per project: `<stateDir>/firestore/<project>/manifest.json` plus one
 * export directory per database (`_default` for `(default)`, whose parentheses
 * real database ids cannot contain). A save is written beside the previous one
 * and swapped in only once every database exported, so a failed save keeps the
 * last good one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';

/** The folder of saved Firestore data inside the state directory. */
export const FIRESTORE_STATE_FOLDER = 'firestore';
/** The manifest file of one project's saved data. */
export const MANIFEST_FILE = 'manifest.json';

const DATABASE_ID = v.pipe(v.string(), v.regex(/^(\(default\)|[a-z][a-z0-9-]{0,62})$/, 'a Firestore database id'));
const EXPORT_NAME = v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_-]{0,63}$/, 'an export folder name'));

const ManifestSchema = v.object({
  version: v.literal(1),
  projectId: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{1,62}$/)),
  savedAt: v.pipe(v.string(), v.isoTimestamp()),
  /** Database id -> its export folder. */
  databases: v.record(DATABASE_ID, EXPORT_NAME),
});

/** What a save wrote: `manifest.json` of one project. */
export type FirestoreManifest = v.InferOutput<typeof ManifestSchema>;

/** Where one project's Firestore data is kept. */
export interface FirestoreStateTarget {
  /** `host:port` of the running emulator. */
  readonly host: string;
  readonly projectId: string;
  /** The project's folder, from {@link firestoreStateDir}. */
  readonly dir: string;
}

/** The folder holding `projectId`'s saved data under `stateDir`. */
export function firestoreStateDir(stateDir: string, projectId: string): string {
  return path.join(stateDir, FIRESTORE_STATE_FOLDER, projectId);
}

/** The export folder name of a database id (`(default)` -> `_default`). */
export function exportName(databaseId: string): string {
  return databaseId === '(default)' ? '_default' : databaseId;
}

/** The saved manifest, `undefined` when nothing was saved; throws when it is unreadable. */
export function readManifest(dir: string): FirestoreManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) {
    if (existsSync(dir)) throw new Error(`${dir} has no ${MANIFEST_FILE}: not a saved Firestore state`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsed = v.safeParse(ManifestSchema, raw);
  if (!parsed.success) throw new Error(`${file} is malformed: ${parsed.issues[0]?.message ?? ''}`);
  return parsed.output;
}

/**
 * Exports `databases` of the running emulator to `target.dir`, replacing the
 * previous save only once all of them exported. Returns the manifest written.
 */
export async function saveFirestoreState(target: FirestoreStateTarget, databases: readonly string[], timeoutMs = 8000): Promise<FirestoreManifest> {
  const deadline = Date.now() + timeoutMs;
  const staging = `${target.dir}.saving-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const names: Record<string, string> = {};
    for (const database of new Set(databases)) {
      const name = exportName(database);
      await emulatorCall(target, database, 'export', { export_directory: staging, export_name: name }, deadline);
      if (!existsSync(metadataFile(staging, name))) throw new Error(`the emulator wrote no export for ${database}`);
      names[database] = name;
    }
    const manifest: FirestoreManifest = { version: 1, projectId: target.projectId, savedAt: new Date().toISOString(), databases: names };
    writeFileSync(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    const previous = `${target.dir}.old-${process.pid}`;
    rmSync(previous, { recursive: true, force: true });
    if (existsSync(target.dir)) renameSync(target.dir, previous);
    renameSync(staging, target.dir);
    rmSync(previous, { recursive: true, force: true });
    return manifest;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Imports every database of the save in `target.dir` into the running (empty)
 * emulator. Returns the manifest, or `undefined` when nothing was saved.
 * Throws when the save is unreadable or the emulator refuses a database, so a
 * broken save is reported instead of silently replaced by an empty one.
 */
export async function restoreFirestoreState(target: FirestoreStateTarget, timeoutMs = 30_000): Promise<FirestoreManifest | undefined> {
  const manifest = readManifest(target.dir);
  if (manifest === undefined) return undefined;
  if (manifest.projectId !== target.projectId) {
    throw new Error(`${target.dir} holds project ${manifest.projectId}, not ${target.projectId}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (const [database, name] of Object.entries(manifest.databases)) {
    const file = metadataFile(target.dir, name);
    if (!existsSync(file)) throw new Error(`the save of ${database} is missing (${file})`);
    await emulatorCall(target, database, 'import', { export_directory: file }, deadline);
  }
  return manifest;
}

/**
 * Sets the saved data of a project aside (to `<dir>.before-fresh`, replacing
 * an older one) so the next start is empty. Returns whether there was any.
 */
export function discardFirestoreState(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const aside = `${dir}.before-fresh`;
  rmSync(aside, { recursive: true, force: true });
  renameSync(dir, aside);
  return true;
}

function metadataFile(dir: string, name: string): string {
  return path.join(dir, name, `${name}.overall_export_metadata`);
}

async function emulatorCall(
  target: FirestoreStateTarget,
  database: string,
  verb: 'export' | 'import',
  body: Record<string, string>,
  deadline: number,
): Promise<void> {
  const name = `projects/${target.projectId}/databases/${database}`;
  const url = `http://${target.host}/emulator/v1/projects/${target.projectId}/databases/${encodeURIComponent(database)}:${verb}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer owner' },
      body: JSON.stringify({ database: name, ...body }),
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    });
  } catch (e) {
    throw new Error(`${verb} of ${database}: ${(e as Error).message}`, { cause: e });
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${verb} of ${database}: emulator answered ${res.status} ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
}
