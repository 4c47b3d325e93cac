/**
 * The contract of the document layer itself: what every backend must answer
 * alike, so a repository written once behaves the same on all of them.
 */
import { describe, expect, it } from 'vitest';
import { isIamError } from '../../../domain/errors.ts';
import type { DocDatabase } from '../documents.ts';
import type { StoresFactory } from './fixtures.ts';

/** Runs the document-layer contract against a backend. */
export function documentContract(backend: string, makeStores: StoresFactory): void {
  describe(`document layer contract (${backend})`, () => {
    const database = async (): Promise<DocDatabase> => (await makeStores()).databases.regions.eu;

    it('stores JSON-like values exactly and drops undefined properties', async () => {
      const db = await database();
      const data = { s: 'é😀', n: 42, f: 1.5, neg: -3, b: false, z: null, arr: [1, 'a', null, { k: true }], map: { inner: { deep: 'x' } }, gone: undefined };
      await db.runTransaction(async (tx) => tx.set('things', 'a', data));
      const { gone: _gone, ...expected } = data;
      expect(await db.get('things', 'a')).toEqual(expected);
      expect(await db.runTransaction((tx) => tx.get('things', 'a'))).toEqual(expected);
      expect(await db.get('things', 'missing')).toBeUndefined();
    });

    it('refuses values it cannot store faithfully, and writes nothing', async () => {
      const db = await database();
      for (const bad of [new Date(0), Number.NaN, Infinity, new Uint8Array(2), 10n, () => 1, [undefined]]) {
        await expect(db.runTransaction(async (tx) => tx.set('things', 'bad', { v: bad }))).rejects.toThrow(TypeError);
      }
      expect(await db.get('things', 'bad')).toBeUndefined();
    });

    it('refuses document ids Firestore refuses', async () => {
      const db = await database();
      for (const id of ['', 'a/b', '.', '..', '__x__']) {
        await expect(db.runTransaction(async (tx) => tx.set('things', id, { v: 1 }))).rejects.toThrow(TypeError);
        await expect(db.get('things', id)).rejects.toThrow(TypeError);
      }
    });

    it('create fails with conflict on an existing document, and the whole commit is refused', async () => {
      const db = await database();
      await db.runTransaction(async (tx) => tx.create('things', 'a', { v: 1 }));
      const err = await db
        .runTransaction(async (tx) => {
          tx.set('things', 'other', { v: 2 });
          tx.create('things', 'a', { v: 3 });
        })
        .catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect(await db.get('things', 'a')).toEqual({ v: 1 });
      expect(await db.get('things', 'other')).toBeUndefined();
    });

    it('update merges top-level fields, replacing nested maps whole, and fails with conflict on a missing document', async () => {
      const db = await database();
      await db.runTransaction(async (tx) => tx.set('things', 'a', { keep: 1, change: 1, map: { x: 1, y: 2 } }));
      await db.runTransaction(async (tx) => tx.update('things', 'a', { change: 2, map: { x: 9 }, added: null }));
      expect(await db.get('things', 'a')).toEqual({ keep: 1, change: 2, map: { x: 9 }, added: null });
      const err = await db.runTransaction(async (tx) => tx.update('things', 'nope', { v: 1 })).catch((e: unknown) => e);
      expect(isIamError(err, 'conflict')).toBe(true);
      expect(await db.get('things', 'nope')).toBeUndefined();
    });

    it('applies several writes to one document in order', async () => {
      const db = await database();
      await db.runTransaction(async (tx) => {
        tx.create('things', 'a', { v: 1, w: 1 });
        tx.update('things', 'a', { v: 2 });
      });
      expect(await db.get('things', 'a')).toEqual({ v: 2, w: 1 });
      await db.runTransaction(async (tx) => {
        tx.set('things', 'a', { v: 3 });
        tx.delete('things', 'a');
      });
      expect(await db.get('things', 'a')).toBeUndefined();
    });

    it('deletes, and deleting a missing document is not an error', async () => {
      const db = await database();
      await db.runTransaction(async (tx) => tx.set('things', 'a', { v: 1 }));
      await db.runTransaction(async (tx) => {
        tx.delete('things', 'a');
        tx.delete('things', 'never');
      });
      expect(await db.get('things', 'a')).toBeUndefined();
    });

    it('refuses a read after a write, and writes nothing', async () => {
      const db = await database();
      await expect(
        db.runTransaction(async (tx) => {
          tx.set('things', 'a', { v: 1 });
          return tx.get('things', 'a');
        }),
      ).rejects.toThrow(/read after write/);
      await expect(
        db.runTransaction(async (tx) => {
          tx.set('things', 'a', { v: 1 });
          return tx.query('things', {});
        }),
      ).rejects.toThrow(/read after write/);
      expect(await db.get('things', 'a')).toBeUndefined();
    });

    it('a throw inside the transaction writes nothing', async () => {
      const db = await database();
      await expect(
        db.runTransaction(async (tx) => {
          tx.set('things', 'a', { v: 1 });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.get('things', 'a')).toBeUndefined();
    });

    it('a failing commit hook writes nothing and sees the writes and the current documents', async () => {
      const db = await database();
      await db.runTransaction(async (tx) => tx.set('things', 'old', { v: 'before' }));
      let seen: unknown;
      await expect(
        db.runTransaction(
          async (tx) => {
            tx.update('things', 'old', { v: 'after' });
            tx.set('things', 'new', { v: 1 });
          },
          {
            beforeCommit: async (writes, current) => {
              seen = { kinds: writes.map((w) => `${w.kind}:${w.id}`), old: await current('things', 'old') };
              throw new Error('hook says no');
            },
          },
        ),
      ).rejects.toThrow('hook says no');
      expect(seen).toEqual({ kinds: ['update:old', 'set:new'], old: { v: 'before' } });
      expect(await db.get('things', 'old')).toEqual({ v: 'before' });
      expect(await db.get('things', 'new')).toBeUndefined();
    });

    describe('queries', () => {
      const seed = async (): Promise<DocDatabase> => {
        const db = await database();
        await db.runTransaction(async (tx) => {
          tx.set('q', 'a', { n: 1, s: 'b', tag: 'x', list: ['p', 'q'], nested: { k: 2 }, opt: null });
          tx.set('q', 'b', { n: 2, s: 'a', tag: 'y', list: ['q'], nested: { k: 1 } });
          tx.set('q', 'c', { n: 2, s: 'c', tag: 'x', list: [], opt: 'set' });
          tx.set('q', 'd', { n: '3', s: 'd', tag: 'x' });
          tx.set('q', 'e', { s: 'e', tag: 'z', opt: '0' });
        });
        return db;
      };
      const ids = (found: readonly { id: string }[]) => found.map((f) => f.id);

      it('filters by equality, in, array-contains and nested fields', async () => {
        const db = await seed();
        expect(ids(await db.query('q', { where: [['tag', '==', 'x']] }))).toEqual(['a', 'c', 'd']);
        expect(ids(await db.query('q', { where: [['tag', 'in', ['y', 'z']]] }))).toEqual(['b', 'e']);
        expect(ids(await db.query('q', { where: [['list', 'array-contains', 'q']] }))).toEqual(['a', 'b']);
        expect(ids(await db.query('q', { where: [['nested.k', '==', 1]] }))).toEqual(['b']);
        expect(ids(await db.query('q', { where: [['opt', '==', null]] }))).toEqual(['a']);
        expect(ids(await db.query('q', { where: [['n', '==', 2], ['tag', '==', 'x']] }))).toEqual(['c']);
      });

      it('range filters match only values of the same type and skip missing fields', async () => {
        const db = await seed();
        expect(ids(await db.query('q', { where: [['n', '>=', 1]] }))).toEqual(['a', 'b', 'c']);
        expect(ids(await db.query('q', { where: [['n', '>', '0']] }))).toEqual(['d']);
        // null and a missing field are never in a string range
        expect(ids(await db.query('q', { where: [['opt', '<=', 'zzz']] }))).toEqual(['e', 'c']);
      });

      it('orders by fields then by id, excludes documents without an ordered field, and limits', async () => {
        const db = await seed();
        expect(ids(await db.query('q', { orderBy: [['n', 'asc']] }))).toEqual(['a', 'b', 'c', 'd']);
        expect(ids(await db.query('q', { orderBy: [['n', 'desc']] }))).toEqual(['d', 'c', 'b', 'a']);
        expect(ids(await db.query('q', { orderBy: [['s', 'asc']], limit: 2 }))).toEqual(['b', 'a']);
        expect(ids(await db.query('q', { orderBy: [['tag', 'asc'], ['s', 'desc']] }))).toEqual(['d', 'c', 'a', 'b', 'e']);
      });

      it('combines a range on one field with an order on another', async () => {
        const db = await seed();
        expect(ids(await db.query('q', { where: [['n', '<=', 2]], orderBy: [['s', 'asc']] }))).toEqual(['b', 'a', 'c']);
        expect(ids(await db.query('q', { where: [['n', '<=', 2]], orderBy: [['s', 'asc']], limit: 1 }))).toEqual(['b']);
      });

      it('answers the same inside a transaction', async () => {
        const db = await seed();
        const found = await db.runTransaction((tx) => tx.query('q', { where: [['tag', '==', 'x']], orderBy: [['s', 'desc']] }));
        expect(found).toEqual([
          { id: 'd', data: { n: '3', s: 'd', tag: 'x' } },
          { id: 'c', data: { n: 2, s: 'c', tag: 'x', list: [], opt: 'set' } },
          { id: 'a', data: { n: 1, s: 'b', tag: 'x', list: ['p', 'q'], nested: { k: 2 }, opt: null } },
        ]);
      });

      it('refuses queries the backends would not answer alike', async () => {
        const db = await seed();
        await expect(db.query('q', { where: [['n', '<', null]] })).rejects.toThrow(TypeError);
        await expect(db.query('q', { where: [['n', 'in', []]] })).rejects.toThrow(TypeError);
        await expect(db.query('q', { limit: 0 })).rejects.toThrow(TypeError);
      });
    });
  });
}
