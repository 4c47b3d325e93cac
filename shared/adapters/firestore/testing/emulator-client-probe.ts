/**
 * A process that uses Firestore the way a function does, for
 * `emulator-credentials.e2e.test.ts`, which runs it with no Google
 * credentials reachable at all:
 *
 *   node emulator-client-probe.ts <stores|key-ring|bare-rest> <emulator host:port> <project>
 *
 * `stores` writes, reads and queries in every database through
 * `createFirestoreStores`; `key-ring` opens the local signer's ring through
 * `platformFirestore`; `bare-rest` is the control: a REST client on the
 * emulator WITHOUT `emulatorSettings`, which must fail the way the jobs
 * function once did. Prints one JSON line and exits 0 only when every call
 * succeeded and nothing was rejected unhandled.
 */
import { Firestore } from '@google-cloud/firestore';
import { loadConfig } from '../../../config.ts';
import { REGIONS } from '../../../domain/tenants/tenant.ts';
import { systemClock } from '../../local/clock.ts';
import { createLocalKeyRing } from '../../local/local-key-ring.ts';
import { firestoreKeyStore, platformFirestore } from '../../local/local-key-ring-firestore.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../stores.ts';

const [mode, host, projectId] = process.argv.slice(2);
const unhandled: string[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e instanceof Error ? e.message : String(e)));

async function run(): Promise<Record<string, unknown>> {
  if (host === undefined || projectId === undefined) throw new Error('usage: <mode> <host:port> <project>');
  if (mode === 'stores') {
    const config = loadConfig({ GOOGLE_CLOUD_PROJECT: projectId, IAM_ISSUER: 'http://127.0.0.1:8080', IAM_SIGNER: 'local', FIRESTORE_EMULATOR_HOST: host });
    const { databases } = createFirestoreStores(config);
    const names: string[] = [];
    for (const db of [databases.platform, ...REGIONS.map((r) => databases.regions[r])]) {
      await db.runTransaction(async (tx) => {
        await tx.get('probe', 'p');
        tx.set('probe', 'p', { by: 'probe' });
      });
      if ((await db.get('probe', 'p'))?.['by'] !== 'probe') throw new Error(`${db.name}: the write did not read back`);
      if ((await db.query('probe', { where: [['by', '==', 'probe']] })).length !== 1) throw new Error(`${db.name}: the query missed the write`);
      names.push(db.name);
    }
    await terminateFirestoreClients();
    return { databases: names };
  }
  if (mode === 'key-ring') {
    const ring = createLocalKeyRing(firestoreKeyStore(platformFirestore({ projectId, databaseId: '(default)', emulatorHost: host })), { clock: systemClock });
    return { kid: (await ring.current()).kid };
  }
  if (mode === 'bare-rest') {
    const client = new Firestore({ projectId, preferRest: true, host, ssl: false });
    await client.collection('probe').doc('p').get();
    return {};
  }
  throw new Error(`unknown mode ${mode ?? ''}`);
}

let result: Record<string, unknown>;
try {
  result = { ok: true, ...(await run()) };
} catch (e) {
  result = { ok: false, error: e instanceof Error ? e.message : String(e) };
}
// Let rejections of background initialisation surface before reporting.
await new Promise((r) => setTimeout(r, 200));
process.stdout.write(`${JSON.stringify({ ...result, unhandled })}\n`);
process.exit(result['ok'] === true && unhandled.length === 0 ? 0 : 1);
