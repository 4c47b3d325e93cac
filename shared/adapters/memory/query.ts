/**
 * Query evaluation for the in-memory backend, following Firestore's rules:
 * a filter or `orderBy` on a field excludes documents without it, range filters
 * match only values of the operand's type, values of different types order
 * null < boolean < number < string < array < map, strings compare by UTF-8
 * bytes, and ties break on the document id.
 */
import type { Doc, Filter, FoundDoc, Query } from '../store/documents.ts';

const MISSING = Symbol('missing');

function fieldOf(doc: Doc, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return MISSING;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function typeRank(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 4;
  return 5;
}

function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Firestore's total order of values. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return Number(a) - Number(b);
    case 2:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 3:
      return compareStrings(a as string, b as string);
    case 4: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default: {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const k = compareStrings(kx[i] as string, ky[i] as string);
        if (k !== 0) return k;
        const c = compareValues(x[kx[i] as string], y[ky[i] as string]);
        if (c !== 0) return c;
      }
      return kx.length - ky.length;
    }
  }
}

function matches(doc: Doc, [field, op, value]: Filter): boolean {
  const v = fieldOf(doc, field);
  if (v === MISSING) return false;
  switch (op) {
    case '==':
      return compareValues(v, value) === 0;
    case 'in':
      return (value as readonly unknown[]).some((x) => compareValues(v, x) === 0);
    case 'array-contains':
      return Array.isArray(v) && v.some((x) => compareValues(x, value) === 0);
    default: {
      if (typeRank(v) !== typeRank(value)) return false;
      const c = compareValues(v, value);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }
}

/** Answers `query` over the documents of one collection. */
export function evaluateQuery(docs: Iterable<readonly [string, Doc]>, query: Query): FoundDoc[] {
  const where = query.where ?? [];
  const explicit = query.orderBy ?? [];
  const lastDirection = explicit.at(-1)?.[1] ?? 'asc';
  const inequalities = [...new Set(where.filter(([, op]) => op !== '==' && op !== 'in' && op !== 'array-contains').map(([f]) => f))]
    .filter((f) => !explicit.some(([e]) => e === f))
    .sort(compareStrings);
  const order: (readonly [string, 'asc' | 'desc'])[] = [...explicit, ...inequalities.map((f) => [f, lastDirection] as const)];

  const found: FoundDoc[] = [];
  for (const [id, data] of docs) {
    if (!where.every((f) => matches(data, f))) continue;
    if (order.some(([f]) => fieldOf(data, f) === MISSING)) continue;
    found.push({ id, data });
  }
  found.sort((x, y) => {
    for (const [f, dir] of order) {
      const c = compareValues(fieldOf(x.data, f), fieldOf(y.data, f));
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    const c = compareStrings(x.id, y.id);
    return lastDirection === 'asc' ? c : -c;
  });
  return query.limit === undefined ? found : found.slice(0, query.limit);
}
