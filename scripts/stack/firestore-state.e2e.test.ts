/**
 * Saving and restoring the local stack's Firestore data on the real emulator,
 * for every database (not only `(default)`), and every way a save can be
 * unusable.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorHosts, testProjectId } from '../../shared/testing/emulator.ts';
import { resetFirestore } from './emulators.ts';
import {
  discardFirestoreState,
  firestoreStateDir,
  MANIFEST_FILE,
  readManifest,
  restoreFirestoreState,
  saveFirestoreState,
  type FirestoreStateTarget,
} from './firestore-state.ts';
import { freePort } from './processes.ts';

const DATABASES = ['(default)', 'iam-eu', 'iam-me', 'iam-us'] as const;
const host = emulatorHosts().firestore;
const root = mkdtempSync(path.join(os.tmpdir(), 'iam-fs-state-'));
let projectId: string;
let target: FirestoreStateTarget;

const docUrl = (database: string, id: string): string =>
  `http://${host}/v1/projects/${projectId}/databases/${encodeURIComponent(database)}/documents/things/${id}`;
const owner = { authorization: 'Bearer owner', 'content-type': 'application/json' };

async function put(database: string, id: string, value: string): Promise<void> {
  const res = await fetch(docUrl(database, id), { method: 'PATCH', headers: owner, body: JSON.stringify({ fields: { value: { stringValue: value } } }) });
  expect(res.status).toBe(200);
}

async function read(database: string, id: string): Promise<string | undefined> {
  const res = await fetch(docUrl(database, id), { headers: owner });
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return ((await res.json()) as { fields: { value: { stringValue: string } } }).fields.value.stringValue;
}

async function wipe(): Promise<void> {
  for (const db of DATABASES) await resetFirestore(host, projectId, db);
}

beforeEach(() => {
  projectId = testProjectId('fsstate');
  target = { host, projectId, dir: firestoreStateDir(root, projectId) };
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('saveFirestoreState / restoreFirestoreState', () => {
  it('brings back every database, each document in its own database', async () => {
    for (const db of DATABASES) await put(db, `in-${db.replace(/\W/g, '')}`, `saved in ${db}`);
    const saved = await saveFirestoreState(target, DATABASES);
    expect(saved).toMatchObject({ version: 1, projectId, databases: { '(default)': '_default', 'iam-eu': 'iam-eu', 'iam-me': 'iam-me', 'iam-us': 'iam-us' } });
    expect(readManifest(target.dir)).toEqual(saved);

    await wipe();
    for (const db of DATABASES) expect(await read(db, `in-${db.replace(/\W/g, '')}`)).toBeUndefined();

    const restored = await restoreFirestoreState(target);
    expect(restored).toEqual(saved);
    for (const db of DATABASES) {
      expect(await read(db, `in-${db.replace(/\W/g, '')}`)).toBe(`saved in ${db}`);
      // Nothing leaked into the other databases.
      for (const other of DATABASES.filter((o) => o !== db)) expect(await read(other, `in-${db.replace(/\W/g, '')}`)).toBeUndefined();
    }
  });

  it('a later save replaces the earlier one and leaves no staging folders', async () => {
    await put('iam-eu', 'doc', 'first');
    await saveFirestoreState(target, DATABASES);
    await put('iam-eu', 'doc', 'second');
    await put('iam-us', 'added', 'later');
    await saveFirestoreState(target, DATABASES);
    await wipe();
    await restoreFirestoreState(target);
    expect(await read('iam-eu', 'doc')).toBe('second');
    expect(await read('iam-us', 'added')).toBe('later');
    expect(readdirSync(path.dirname(target.dir)).filter((n) => n.startsWith(projectId))).toEqual([projectId]);
  });

  it('a failed save keeps the previous save intact', async () => {
    await put('iam-me', 'doc', 'kept');
    const first = await saveFirestoreState(target, DATABASES);
    const deadHost = `127.0.0.1:${await freePort()}`;
    await expect(saveFirestoreState({ ...target, host: deadHost }, DATABASES, 2000)).rejects.toThrow(/export of \(default\)/);
    expect(readManifest(target.dir)).toEqual(first);
    expect(existsSync(`${target.dir}.saving-${process.pid}`)).toBe(false);
    await wipe();
    await restoreFirestoreState(target);
    expect(await read('iam-me', 'doc')).toBe('kept');
  });

  it('restores nothing when nothing was saved', async () => {
    expect(await restoreFirestoreState(target)).toBeUndefined();
  });

  it('refuses a folder without a manifest, a malformed manifest, another project and a missing database', async () => {
    mkdirSync(target.dir, { recursive: true });
    await expect(restoreFirestoreState(target)).rejects.toThrow(/has no manifest\.json/);

    writeFileSync(path.join(target.dir, MANIFEST_FILE), '{not json');
    await expect(restoreFirestoreState(target)).rejects.toThrow(/is not JSON/);

    writeFileSync(path.join(target.dir, MANIFEST_FILE), JSON.stringify({ version: 1, projectId, savedAt: 'yesterday', databases: {} }));
    await expect(restoreFirestoreState(target)).rejects.toThrow(/malformed/);

    writeFileSync(path.join(target.dir, MANIFEST_FILE), JSON.stringify({ version: 1, projectId, savedAt: new Date().toISOString(), databases: { '../x': 'x' } }));
    await expect(restoreFirestoreState(target)).rejects.toThrow(/malformed/);

    writeFileSync(path.join(target.dir, MANIFEST_FILE), JSON.stringify({ version: 1, projectId: 'demo-someone-else', savedAt: new Date().toISOString(), databases: {} }));
    await expect(restoreFirestoreState(target)).rejects.toThrow(/holds project demo-someone-else/);

    writeFileSync(path.join(target.dir, MANIFEST_FILE), JSON.stringify({ version: 1, projectId, savedAt: new Date().toISOString(), databases: { 'iam-eu': 'iam-eu' } }));
    await expect(restoreFirestoreState(target)).rejects.toThrow(/the save of iam-eu is missing/);
  });

  it('refuses an export the emulator cannot read', async () => {
    await put('iam-eu', 'doc', 'x');
    await saveFirestoreState(target, ['iam-eu']);
    writeFileSync(path.join(target.dir, 'iam-eu', 'iam-eu.overall_export_metadata'), 'garbage');
    await expect(restoreFirestoreState(target)).rejects.toThrow(/import of iam-eu: emulator answered 400/);
  });
});

describe('discardFirestoreState', () => {
  it('sets the save aside, replacing an older one, so the next restore finds nothing', async () => {
    await put('iam-eu', 'doc', 'old');
    await saveFirestoreState(target, ['iam-eu']);
    expect(discardFirestoreState(target.dir)).toBe(true);
    expect(await restoreFirestoreState(target)).toBeUndefined();
    expect(JSON.parse(readFileSync(path.join(`${target.dir}.before-fresh`, MANIFEST_FILE), 'utf8'))).toMatchObject({ projectId });
    expect(discardFirestoreState(target.dir)).toBe(false);
  });
});
