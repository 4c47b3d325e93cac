import { Firestore } from '@google-cloud/firestore';
import * as v from 'valibot';
import { emulatorSettings } from '../firestore/firestore-database.ts';
import type { LocalKey } from './local-signer.ts';
import type { LocalKeySet, LocalKeyStore } from './local-key-ring.ts';

/** The collection of the platform database holding the local signing keys. */
export const SIGNING_KEYS_COLLECTION = 'signing_keys';
/** The one document holding the ring: keys move between roles in one atomic write. */
export const RING_DOCUMENT = 'ring';

const B64URL = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/));
const StoredKey = v.object({
  kid: B64URL,
  privateJwk: v.object({ kty: v.literal('EC'), crv: v.literal('P-256'), x: B64URL, y: B64URL, d: B64URL }),
  publishedAt: v.pipe(v.number(), v.integer()),
});
const StoredRing = v.object({
  current: StoredKey,
  next: StoredKey,
  previous: v.nullable(StoredKey),
  updatedAt: v.string(),
});

/** Where the platform database is: the project, the database id, and the emulator (`config.emulators.firestore`). */
export interface PlatformDatabase {
  readonly projectId: string;
  readonly databaseId: string;
  readonly emulatorHost: string | undefined;
}

const clients = new Map<string, Firestore>();

/**
 * The Firestore client of the platform database, built once per process
 * (gRPC, like every other client: see `firestore-database.ts`).
 */
export function platformFirestore(db: PlatformDatabase): Firestore {
  const key = `${db.projectId}/${db.databaseId}/${db.emulatorHost ?? ''}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new Firestore({ projectId: db.projectId, databaseId: db.databaseId, ...emulatorSettings(db.emulatorHost) });
    clients.set(key, client);
  }
  return client;
}

/** The emulator settings every Firestore client uses (see `firestore-database.ts`). */
export { emulatorSettings };

/**
 * The {@link LocalKeyStore} over the platform database: one document,
 * `signing_keys/ring`, read and written in Firestore transactions. Reading the
 * (possibly missing) document inside the transaction makes a concurrent
 * creator conflict and retry, so two instances never both create the ring.
 */
export function firestoreKeyStore(firestore: Firestore): LocalKeyStore {
  const ref = firestore.collection(SIGNING_KEYS_COLLECTION).doc(RING_DOCUMENT);
  return {
    read: async () => decode((await ref.get()).data()),
    transact: (change) =>
      firestore.runTransaction(async (tx) => {
        const stored = decode((await tx.get(ref)).data());
        const next = await change(stored);
        if (next === undefined) return stored;
        tx.set(ref, encode(next));
        return next;
      }),
  };
}

function encode(keys: LocalKeySet): v.InferOutput<typeof StoredRing> {
  const key = (k: LocalKey): v.InferOutput<typeof StoredKey> => ({
    kid: k.kid,
    privateJwk: { ...k.privateJwk },
    publishedAt: k.publishedAt,
  });
  return {
    current: key(keys.current),
    next: key(keys.next),
    previous: keys.previous === undefined ? null : key(keys.previous),
    updatedAt: new Date().toISOString(),
  };
}

function decode(data: unknown): LocalKeySet | undefined {
  if (data === undefined) return undefined;
  const parsed = v.safeParse(StoredRing, data);
  // A malformed ring is corrupted state, not an outcome: refuse it loudly.
  if (!parsed.success) throw new Error(`signing_keys/${RING_DOCUMENT} is malformed: ${parsed.issues[0]?.message ?? ''}`);
  const { current, next, previous } = parsed.output;
  return { current, next, previous: previous ?? undefined };
}
