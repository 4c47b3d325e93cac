import { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { describeKeyRingContract } from '../../testing/key-ring-contract.ts';
import { testEnv, testProjectId } from '../../testing/emulator.ts';
import { fixedClock, systemClock } from './clock.ts';
import { createLocalKeyRing } from './local-key-ring.ts';
import {
  emulatorSettings,
  firestoreKeyStore,
  platformFirestore,
  RING_DOCUMENT,
  SIGNING_KEYS_COLLECTION,
  type PlatformDatabase,
} from './local-key-ring-firestore.ts';

/** A fresh platform database per call, as loadConfig describes it for the local signer. */
function freshDatabase(): PlatformDatabase {
  const config = loadConfig(testEnv(testProjectId('keys')));
  return { projectId: config.projectId, databaseId: config.platformDatabase, emulatorHost: config.emulators.firestore };
}

const opened: Firestore[] = [];
/** A separate client per instance, as separate processes would have. */
function instanceStore(db: PlatformDatabase): ReturnType<typeof firestoreKeyStore> {
  const firestore = new Firestore({ projectId: db.projectId, databaseId: db.databaseId, preferRest: true, ...emulatorSettings(db.emulatorHost) });
  opened.push(firestore);
  return firestoreKeyStore(firestore);
}

afterAll(async () => {
  await Promise.all(opened.map((f) => f.terminate()));
});

describeKeyRingContract('local ring on the Firestore emulator', async () => ({
  ring: createLocalKeyRing(firestoreKeyStore(platformFirestore(freshDatabase())), { clock: systemClock }),
}));

describe('local key ring on the Firestore emulator', () => {
  it('stores the ring, private JWKs included, in signing_keys/ring of the platform database', async () => {
    const db = freshDatabase();
    const ring = createLocalKeyRing(firestoreKeyStore(platformFirestore(db)), { clock: systemClock });
    const kid = (await ring.current()).kid;
    const snapshot = await platformFirestore(db).collection(SIGNING_KEYS_COLLECTION).doc(RING_DOCUMENT).get();
    expect(snapshot.get('current.kid')).toBe(kid);
    expect(snapshot.get('current.privateJwk.d')).toMatch(/^[\w-]{43}$/);
    expect(snapshot.get('next.kid')).not.toBe(kid);
    expect(snapshot.get('previous')).toBeNull();
  });

  it('keeps its keys across restarts (a new client and ring read the same kids)', async () => {
    const db = freshDatabase();
    const first = createLocalKeyRing(instanceStore(db), { clock: systemClock });
    const before = (await first.published()).map((p) => p.jwk.kid);
    const restarted = createLocalKeyRing(instanceStore(db), { clock: systemClock });
    expect((await restarted.published()).map((p) => p.jwk.kid)).toEqual(before);
  });

  it('creates exactly one current key when 8 instances cold-start at once (transactions)', async () => {
    const db = freshDatabase();
    const rings = Array.from({ length: 8 }, () => createLocalKeyRing(instanceStore(db), { clock: systemClock }));
    const seen = await Promise.all(rings.map(async (r) => (await r.published()).map((p) => p.jwk.kid).join(',')));
    expect(new Set(seen).size).toBe(1);
    const stored = await instanceStore(db).read();
    expect(seen[0]).toBe(`${stored?.current.kid},${stored?.next.kid}`);
  });

  it('persists a rotation for every instance, and refuses one that comes too early', async () => {
    const db = freshDatabase();
    const clock = fixedClock(Date.now());
    const a = createLocalKeyRing(instanceStore(db), { clock });
    const [current, next] = (await a.published()).map((p) => p.jwk.kid);
    expect((await a.rotate('scheduled')).ok).toBe(false);
    clock.advance(24 * 3600 * 1000);
    const rotated = await a.rotate('scheduled');
    expect(rotated.ok && rotated.value).toMatchObject({ current: next, previous: current });
    const b = createLocalKeyRing(instanceStore(db), { clock });
    expect((await b.published()).map((p) => p.status + ':' + p.jwk.kid).slice(0, 3)).toEqual([
      `current:${next}`,
      `next:${rotated.ok ? rotated.value.next : ''}`,
      `previous:${current}`,
    ]);
  });
});
