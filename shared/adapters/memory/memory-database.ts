/**
 * The in-memory document database: a TEST DOUBLE and the reference the
 * Firestore backend is held to, never what production or `npm start` stores
 * identities in.
 *
 * Transactions are serialisable by optimistic concurrency: every read records
 * the version it saw (a query records its collection's version), and the commit
 * (synchronous, so atomic in one process) applies the writes only if nothing
 * read has changed since; otherwise the transaction function runs again after a
 * short random backoff, like a contended Firestore transaction.
 */
import { IamError } from '../../domain/errors.ts';
import {
  applyWrite,
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
  assertCollection,
  assertDocId,
} from '../store/documents.ts';
import { evaluateQuery } from './query.ts';

interface Entry {
  readonly version: number;
  readonly data: Doc;
}

/** How often a contended transaction runs before giving up. */
const MAX_ATTEMPTS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An in-memory {@link DocDatabase}. */
export class MemoryDatabase implements DocDatabase {
  readonly name: string;
  readonly #collections = new Map<string, Map<string, Entry>>();
  readonly #collectionVersions = new Map<string, number>();
  #seq = 0;
  #commits = 0;

  constructor(name: string) {
    this.name = `memory:${name}`;
  }

  /** How many transactions committed writes; tests use it to see retries and aborts. */
  get commits(): number {
    return this.#commits;
  }

  /** Forgets every document. */
  clear(): void {
    this.#collections.clear();
    this.#collectionVersions.clear();
  }

  async runTransaction<T>(fn: (tx: DocTransaction) => Promise<T>, options: { readonly beforeCommit?: BeforeCommit } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const reads = new Map<string, number>();
      const scans = new Map<string, number>();
      const reader: DocReader = {
        get: async (collection, id) => {
          await Promise.resolve();
          const entry = this.#collections.get(collection)?.get(id);
          const key = `${collection}/${id}`;
          if (!reads.has(key)) reads.set(key, entry?.version ?? 0);
          return entry === undefined ? undefined : structuredClone(entry.data);
        },
        query: async (collection, query) => {
          await Promise.resolve();
          if (!scans.has(collection)) scans.set(collection, this.#collectionVersions.get(collection) ?? 0);
          return this.#query(collection, query);
        },
      };
      let outcome: { readonly result: T; readonly writes: readonly Write[] };
      try {
        outcome = await runAttempt(reader, fn, options.beforeCommit);
      } catch (e) {
        // An error raised on a stale snapshot is contention, not the answer.
        if (this.#unchanged(reads, scans) || attempt >= MAX_ATTEMPTS) throw e;
        await sleep(Math.random() * 2 ** Math.min(attempt, 5));
        continue;
      }
      if (this.#unchanged(reads, scans)) {
        this.#commit(outcome.writes);
        return outcome.result;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new IamError('temporarily_unavailable', `${this.name}: too much contention, gave up after ${attempt} attempts`, { retryAfter: 1 });
      }
      await sleep(Math.random() * 2 ** Math.min(attempt, 5));
    }
  }

  async get(collection: string, id: string): Promise<Doc | undefined> {
    assertCollection(collection);
    assertDocId(id);
    const entry = this.#collections.get(collection)?.get(id);
    return entry === undefined ? undefined : structuredClone(entry.data);
  }

  async query(collection: string, query: Query): Promise<readonly FoundDoc[]> {
    assertCollection(collection);
    validateQuery(query);
    return this.#query(collection, query);
  }

  #query(collection: string, query: Query): FoundDoc[] {
    const docs = this.#collections.get(collection) ?? new Map<string, Entry>();
    const found = evaluateQuery(
      [...docs].map(([id, e]) => [id, e.data] as const),
      query,
    );
    return found.map((f) => ({ id: f.id, data: structuredClone(f.data) }));
  }

  #unchanged(reads: ReadonlyMap<string, number>, scans: ReadonlyMap<string, number>): boolean {
    for (const [key, version] of reads) {
      const slash = key.indexOf('/');
      const current = this.#collections.get(key.slice(0, slash))?.get(key.slice(slash + 1))?.version ?? 0;
      if (current !== version) return false;
    }
    for (const [collection, version] of scans) {
      if ((this.#collectionVersions.get(collection) ?? 0) !== version) return false;
    }
    return true;
  }

  /** Applies every write or none: preconditions are checked on a staged copy first. */
  #commit(writes: readonly Write[]): void {
    if (writes.length === 0) return;
    const staged = new Map<string, { readonly collection: string; readonly id: string; doc: Doc | undefined }>();
    for (const w of writes) {
      const key = `${w.collection}/${w.id}`;
      const before = staged.has(key) ? staged.get(key)?.doc : this.#collections.get(w.collection)?.get(w.id)?.data;
      staged.set(key, { collection: w.collection, id: w.id, doc: applyWrite(before, w) });
    }
    const version = ++this.#seq;
    for (const { collection, id, doc } of staged.values()) {
      let docs = this.#collections.get(collection);
      if (docs === undefined) {
        docs = new Map();
        this.#collections.set(collection, docs);
      }
      if (doc === undefined) docs.delete(id);
      else docs.set(id, { version, data: structuredClone(doc) });
      this.#collectionVersions.set(collection, version);
    }
    this.#commits++;
  }
}
