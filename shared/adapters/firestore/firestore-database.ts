/**
 * The Firestore backend of the document layer. One client per (project,
 * database id), built on first use and kept at module scope so warm instances
 * reuse it. Transactions are Firestore's `runTransaction`: serialisable, with
 * the SDK re-running the function on contention.
 */
import { FieldPath, Firestore, type Query as FirestoreQuery, type Transaction } from '@google-cloud/firestore';
import { IamError, isIamError } from '../../domain/errors.ts';
import {
  assertCollection,
  assertDocId,
  preconditionFailed,
  runAttempt,
  validateQuery,
  type BeforeCommit,
  type Doc,
  type DocDatabase,
  type DocReader,
  type DocTransaction,
  type FoundDoc,
  type Query,
  type Write,
} from '../store/documents.ts';

/** How a Firestore client is built. */
export interface FirestoreClientOptions {
  /** `host:port` of the emulator; the client then speaks plain HTTP with the emulator's owner token. */
  readonly emulatorHost?: string | undefined;
  /**
   * HTTP/1.1 + JSON instead of gRPC (Firestore v9 `preferRest`). Transactions,
   * queries and batch reads all work over it, but it costs more CPU per call
   * (`npm run bench -- login refresh`: about 30 % more per refresh) and loads
   * no faster, since Firestore v9 imports google-gax and grpc-js either way.
   * Default false: gRPC.
   */
  readonly preferRest?: boolean;
}

const clients = new Map<string, Firestore>();

/**
 * The client settings for the emulator at `host` (none for production): the
 * ONE place every Firestore client of this codebase gets them.
 *
 * Over REST (`preferRest`), google-gax asks google-auth-library for an auth
 * client before the first call of every GAPIC client it creates, and with no
 * Application Default Credentials on the machine that fails with "Could not
 * load the default credentials" (googleapis/nodejs-firestore#1811): `ssl:
 * false` and the emulator host alone do not prevent it. An API key is an auth
 * client that needs no lookup and no token exchange; the emulator ignores it,
 * and the SDK adds its own `Authorization: Bearer owner` because ssl is false.
 * (On a machine that has ADC the lookup succeeds, which is why a client built
 * without the key fails on one machine and works on the next.)
 *
 * The SDK lets `FIRESTORE_EMULATOR_HOST` in the process environment override
 * `host`, so pass the host whenever that variable is set: a client built with
 * no host but under that variable talks to the emulator WITHOUT the key.
 */
export function emulatorSettings(host: string | undefined): { host: string; ssl: false; apiKey: string } | Record<string, never> {
  return host === undefined ? {} : { host, ssl: false, apiKey: 'firestore-emulator' };
}

/** The cached client of one database. */
export function firestoreClient(projectId: string, databaseId: string, options: FirestoreClientOptions = {}): Firestore {
  const preferRest = options.preferRest ?? false;
  const key = `${projectId}\u0000${databaseId}\u0000${options.emulatorHost ?? ''}\u0000${preferRest}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new Firestore({ projectId, databaseId, preferRest, ...emulatorSettings(options.emulatorHost) });
    clients.set(key, client);
  }
  return client;
}

/** Closes every cached client (tests, tools, graceful shutdown). */
export async function terminateFirestoreClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => c.terminate()));
}

/** gRPC status codes (the REST transport reports the same numbers). */
const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const TRANSIENT = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 10 /* ABORTED */, 14 /* UNAVAILABLE */]);

function grpcCode(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null || isIamError(e)) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function translate(e: unknown, name: string, writes: readonly Write[]): unknown {
  const code = grpcCode(e);
  if (code === ALREADY_EXISTS || code === NOT_FOUND) {
    const w = writes.find((x) => x.kind === (code === ALREADY_EXISTS ? 'create' : 'update'));
    return w === undefined ? new IamError('conflict', `${name}: precondition failed`, { cause: e }) : preconditionFailed(w, code === ALREADY_EXISTS, e);
  }
  if (code !== undefined && TRANSIENT.has(code)) {
    return new IamError('temporarily_unavailable', `${name}: Firestore did not commit (code ${code})`, { cause: e, retryAfter: 1 });
  }
  return e;
}

function buildQuery(client: Firestore, collection: string, query: Query): FirestoreQuery {
  let q: FirestoreQuery = client.collection(collection);
  for (const [field, op, value] of query.where ?? []) q = q.where(field, op, value);
  for (const [field, direction] of query.orderBy ?? []) q = q.orderBy(field, direction);
  if (query.limit !== undefined) q = q.limit(query.limit);
  return q;
}

function applyTo(client: Firestore, tx: Transaction, w: Write): void {
  const ref = client.collection(w.collection).doc(w.id);
  switch (w.kind) {
    case 'set':
      tx.set(ref, w.data);
      return;
    case 'create':
      tx.create(ref, w.data);
      return;
    case 'update': {
      // Top-level fields as FieldPaths: a dot in a key is a name, not a path,
      // and a nested map is replaced whole, as the memory backend does.
      const [first, ...rest] = Object.entries(w.data).flatMap(([k, v]) => [new FieldPath(k), v]);
      tx.update(ref, first as FieldPath, rest[0], ...rest.slice(1));
      return;
    }
    case 'delete':
      tx.delete(ref);
      return;
  }
}

/** A Firestore database as a {@link DocDatabase}. */
export class FirestoreDatabase implements DocDatabase {
  readonly name: string;
  readonly #client: Firestore;
  readonly #maxAttempts: number;

  constructor(client: Firestore, options: { readonly maxAttempts?: number } = {}) {
    this.#client = client;
    this.name = `firestore:${client.databaseId}`;
    this.#maxAttempts = options.maxAttempts ?? 25;
  }

  async runTransaction<T>(fn: (tx: DocTransaction) => Promise<T>, options: { readonly beforeCommit?: BeforeCommit } = {}): Promise<T> {
    const client = this.#client;
    let lastWrites: readonly Write[] = [];
    try {
      return await client.runTransaction(
        async (ftx) => {
          const reader: DocReader = {
            get: async (collection, id) => {
              const snap = await ftx.get(client.collection(collection).doc(id));
              return snap.exists ? (snap.data() as Doc) : undefined;
            },
            query: async (collection, query) => {
              const snap = await ftx.get(buildQuery(client, collection, query));
              return snap.docs.map((d) => ({ id: d.id, data: d.data() as Doc }));
            },
          };
          const { result, writes } = await runAttempt(reader, fn, options.beforeCommit);
          lastWrites = writes;
          for (const w of writes) applyTo(client, ftx, w);
          return result;
        },
        { maxAttempts: this.#maxAttempts },
      );
    } catch (e) {
      throw translate(e, this.name, lastWrites);
    }
  }

  async get(collection: string, id: string): Promise<Doc | undefined> {
    assertCollection(collection);
    assertDocId(id);
    try {
      const snap = await this.#client.collection(collection).doc(id).get();
      return snap.exists ? (snap.data() as Doc) : undefined;
    } catch (e) {
      throw translate(e, this.name, []);
    }
  }

  async query(collection: string, query: Query): Promise<readonly FoundDoc[]> {
    assertCollection(collection);
    validateQuery(query);
    try {
      const snap = await buildQuery(this.#client, collection, query).get();
      return snap.docs.map((d) => ({ id: d.id, data: d.data() as Doc }));
    } catch (e) {
      throw translate(e, this.name, []);
    }
  }
}
