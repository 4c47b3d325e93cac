/**
 * The backend-neutral document layer. A repository is written once against
 * {@link DocTransaction}; the Firestore and in-memory backends both implement
 * {@link DocDatabase}, so every repository runs on both.
 *
 * Semantics (identical on both backends, checked by the document contract suite):
 * - A transaction reads first and writes last (Firestore's rule). Writes are
 *   buffered and applied atomically at commit; a read after a buffered write
 *   throws, so a use case can never read a value it has already overwritten.
 * - Values are JSON-like: strings, finite numbers, booleans, null, arrays and
 *   plain objects. Undefined object properties are dropped; anything else throws.
 * - `create` fails with `conflict` when the document exists, `update` (a shallow
 *   merge of top-level fields) when it does not. Nothing of the transaction is written then.
 * - Queries follow Firestore: a filter or an `orderBy` on a field excludes the
 *   documents that lack it, range filters match only values of the operand's type,
 *   and ties are broken by document id.
 */
import { IamError } from '../../domain/errors.ts';

/** A stored document: JSON-like data. */
export type Doc = Readonly<Record<string, unknown>>;

/** A comparison a query filter can make. */
export type FilterOp = '==' | '<' | '<=' | '>' | '>=' | 'in' | 'array-contains';

/** One query filter: `[field, op, value]`. `in` takes an array of at most 30 values. */
export type Filter = readonly [field: string, op: FilterOp, value: string | number | boolean | null | readonly (string | number | boolean | null)[]];

/** A query on one collection. */
export interface Query {
  readonly where?: readonly Filter[];
  readonly orderBy?: readonly (readonly [field: string, direction: 'asc' | 'desc'])[];
  readonly limit?: number;
}

/** A document returned by a query. */
export interface FoundDoc {
  readonly id: string;
  readonly data: Doc;
}

/** The read side of a transaction, as a backend provides it. */
export interface DocReader {
  get(collection: string, id: string): Promise<Doc | undefined>;
  query(collection: string, query: Query): Promise<readonly FoundDoc[]>;
}

/** A buffered write. */
export type Write =
  | { readonly kind: 'set' | 'create'; readonly collection: string; readonly id: string; readonly data: Doc }
  | { readonly kind: 'update'; readonly collection: string; readonly id: string; readonly data: Doc }
  | { readonly kind: 'delete'; readonly collection: string; readonly id: string };

/** What a repository uses: reads, then buffered writes. */
export interface DocTransaction extends DocReader {
  /** Writes the whole document, replacing any previous one. */
  set(collection: string, id: string, data: Doc): void;
  /** Writes a new document; the commit fails with `conflict` if it exists. */
  create(collection: string, id: string, data: Doc): void;
  /** Replaces the given top-level fields; the commit fails with `conflict` if the document does not exist. */
  update(collection: string, id: string, fields: Doc): void;
  /** Deletes the document; deleting a missing document is not an error. */
  delete(collection: string, id: string): void;
}

/**
 * Called after the transaction function and before anything is written, with
 * the buffered writes and a reader of the documents as they stand in this
 * transaction. Throwing aborts the transaction: nothing is written.
 */
export type BeforeCommit = (writes: readonly Write[], current: (collection: string, id: string) => Promise<Doc | undefined>) => Promise<void>;

/** One database (a Firestore database, or its in-memory stand-in). */
export interface DocDatabase {
  /** A label for logs and errors, e.g. `firestore:iam-eu`. */
  readonly name: string;
  /**
   * Runs `fn` in one serialisable transaction, re-running it on contention.
   * `fn` may therefore run more than once: keep side effects out of it.
   */
  runTransaction<T>(fn: (tx: DocTransaction) => Promise<T>, options?: { readonly beforeCommit?: BeforeCommit }): Promise<T>;
  /** A strongly consistent read outside any transaction. */
  get(collection: string, id: string): Promise<Doc | undefined>;
  /** A query outside any transaction. */
  query(collection: string, query: Query): Promise<readonly FoundDoc[]>;
}

/** The most values an `in` filter may carry (Firestore's limit). */
export const MAX_IN_VALUES = 30;

/** Throws unless `id` is a valid document id (Firestore's rules). */
export function assertDocId(id: string): void {
  if (
    id.length === 0 ||
    id.includes('/') ||
    id === '.' ||
    id === '..' ||
    /^__.*__$/.test(id) ||
    Buffer.byteLength(id, 'utf8') > 1500
  ) {
    throw new TypeError(`invalid document id '${id.slice(0, 80)}'`);
  }
}

/** Throws unless `name` is a valid collection id. */
export function assertCollection(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`invalid collection name '${name}'`);
}

/** Deep-copies a JSON-like value, dropping undefined properties; throws on anything else. */
export function normalise(value: unknown, path = 'value'): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: only finite numbers can be stored`);
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (v === undefined) throw new TypeError(`${path}[${i}]: undefined in an array`);
      return normalise(v, `${path}[${i}]`);
    });
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (k === '') throw new TypeError(`${path}: empty field name`);
      out[k] = normalise(v, `${path}.${k}`);
    }
    return out;
  }
  throw new TypeError(`${path}: a ${value === undefined ? 'undefined' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value} cannot be stored`);
}

function normaliseDoc(data: Doc): Doc {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TypeError('a document must be an object');
  return normalise(data, 'document') as Doc;
}

/** The error both backends raise when a `create` or `update` precondition fails. */
export function preconditionFailed(write: Write, exists: boolean, cause?: unknown): IamError {
  return new IamError(
    'conflict',
    exists ? `${write.collection}/${write.id} already exists` : `${write.collection}/${write.id} does not exist`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The transaction object both backends hand to repositories: reads go to the
 * backend's reader, writes are validated, copied and buffered.
 */
export class BufferedTransaction implements DocTransaction {
  readonly #reader: DocReader;
  readonly #writes: Write[] = [];
  #sealed = false;

  constructor(reader: DocReader) {
    this.#reader = reader;
  }

  /** The buffered writes, in order. */
  get writes(): readonly Write[] {
    return this.#writes;
  }

  /** Ends the transaction function: no read or write is accepted after this. */
  seal(): void {
    this.#sealed = true;
  }

  async get(collection: string, id: string): Promise<Doc | undefined> {
    this.#beforeRead();
    assertCollection(collection);
    assertDocId(id);
    return this.#reader.get(collection, id);
  }

  async query(collection: string, query: Query): Promise<readonly FoundDoc[]> {
    this.#beforeRead();
    assertCollection(collection);
    validateQuery(query);
    return this.#reader.query(collection, query);
  }

  set(collection: string, id: string, data: Doc): void {
    this.#push({ kind: 'set', collection, id, data: normaliseDoc(data) });
  }

  create(collection: string, id: string, data: Doc): void {
    this.#push({ kind: 'create', collection, id, data: normaliseDoc(data) });
  }

  update(collection: string, id: string, fields: Doc): void {
    const data = normaliseDoc(fields);
    if (Object.keys(data).length === 0) throw new TypeError('update needs at least one field');
    this.#push({ kind: 'update', collection, id, data });
  }

  delete(collection: string, id: string): void {
    this.#push({ kind: 'delete', collection, id });
  }

  #push(write: Write): void {
    if (this.#sealed) throw new Error('write after the transaction function returned');
    assertCollection(write.collection);
    assertDocId(write.id);
    this.#writes.push(write);
  }

  #beforeRead(): void {
    if (this.#sealed) throw new Error('read after the transaction function returned');
    // Firestore's rule: all reads before any write.
    if (this.#writes.length > 0) throw new Error('read after write: a transaction must do all its reads before its writes');
  }
}

/** Throws on a query both backends would not answer alike. */
export function validateQuery(query: Query): void {
  for (const [field, op, value] of query.where ?? []) {
    if (field === '') throw new TypeError('empty field in a filter');
    if (op === 'in') {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
        throw new TypeError(`'in' takes 1 to ${MAX_IN_VALUES} values`);
      }
    } else if (Array.isArray(value)) {
      throw new TypeError(`'${op}' takes a single value`);
    }
    if ((op === '<' || op === '<=' || op === '>' || op === '>=') && (value === null || typeof value === 'boolean')) {
      throw new TypeError('range filters take a string or a number');
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('filter values must be finite');
  }
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) {
    throw new TypeError('limit must be a positive integer');
  }
}

/**
 * Runs the transaction function and the commit hook on a buffered transaction:
 * the part of a transaction attempt both backends share. Returns the result and
 * the writes to apply.
 */
export async function runAttempt<T>(
  reader: DocReader,
  fn: (tx: DocTransaction) => Promise<T>,
  beforeCommit: BeforeCommit | undefined,
): Promise<{ readonly result: T; readonly writes: readonly Write[] }> {
  const tx = new BufferedTransaction(reader);
  let result: T;
  try {
    result = await fn(tx);
  } finally {
    tx.seal();
  }
  if (beforeCommit !== undefined && tx.writes.length > 0) {
    await beforeCommit(tx.writes, (collection, id) => reader.get(collection, id));
  }
  return { result, writes: tx.writes };
}

/** Applies `write` to `before`, the way a commit does. Throws `conflict` on a failed precondition. */
export function applyWrite(before: Doc | undefined, write: Write): Doc | undefined {
  switch (write.kind) {
    case 'set':
      return write.data;
    case 'create':
      if (before !== undefined) throw preconditionFailed(write, true);
      return write.data;
    case 'update':
      if (before === undefined) throw preconditionFailed(write, false);
      return { ...before, ...write.data };
    case 'delete':
      return undefined;
  }
}
