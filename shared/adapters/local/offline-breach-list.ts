/**
 * `BreachList` on a local copy of Pwned Passwords, for deployments that may
 * not call out (and for `npm start`). Two layouts, told apart by the path:
 *
 * - a DIRECTORY of range files, `<PREFIX>.txt` (5 upper-case hex characters),
 *   each holding exactly a range body: `SUFFIX:COUNT` lines. This is what
 *   the HIBP downloader writes per prefix, and it scales to the full corpus
 *   (one small file read per check, nothing held in memory). A missing
 *   prefix file means no entry in that range: `clean`.
 * - a single FILE of full SHA-1 hashes, one per line, as `HASH` or
 *   `HASH:COUNT` (the downloader's single-file format; `#` starts a comment).
 *   It is read once, on first use, into memory: meant for curated lists of
 *   up to a few million entries, not the whole corpus.
 *
 * Hex is case-insensitive; count-0 entries are ignored, as in the range API.
 * Like the HIBP adapter it fails open: an unreadable or malformed source
 * answers `unknown`, logs a warning (no password, no hash) and counts it.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BreachList } from '../../domain/ports.ts';
import type { Logger } from '../../log.ts';
import { type BreachMetrics, createBreachMetrics } from '../hibp/metrics.ts';
import { parseRange, rangeKey } from '../hibp/range-format.ts';

/** Options of {@link createOfflineBreachList}. */
export interface OfflineBreachListOptions {
  /** A directory of `<PREFIX>.txt` range files, or a file of full SHA-1 hashes. */
  readonly path: string;
  /** A password seen at least this many times is `breached`; 1 by default (a bare `HASH` counts 1). */
  readonly minCount?: number;
  readonly log: Logger;
  readonly metrics?: BreachMetrics;
}

/** The adapter, with its counters. */
export interface OfflineBreachList extends BreachList {
  readonly metrics: BreachMetrics;
}

const FULL_LINE = /^([0-9A-F]{40})(?::(\d{1,12}))?$/i;

/** Parses the single-file layout into full hash -> count (count-0 entries dropped). */
export function parseHashList(text: string): Map<string, number> | undefined {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = FULL_LINE.exec(line);
    if (!m) return undefined;
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count > 0) out.set((m[1] ?? '').toUpperCase(), Math.max(count, out.get((m[1] ?? '').toUpperCase()) ?? 0));
  }
  return out;
}

/** Creates the offline adapter. The path is inspected on first use, not here. */
export function createOfflineBreachList(options: OfflineBreachListOptions): OfflineBreachList {
  const minCount = options.minCount ?? 1;
  const metrics = options.metrics ?? createBreachMetrics();
  type Source = { kind: 'dir' } | { kind: 'file'; hashes: Map<string, number> };
  let source: Promise<Source> | undefined;

  const load = async (): Promise<Source> => {
    const info = await stat(options.path);
    if (info.isDirectory()) return { kind: 'dir' };
    const hashes = parseHashList(await readFile(options.path, 'utf8'));
    if (hashes === undefined) throw new Error('malformed hash list');
    return { kind: 'file', hashes };
  };

  const lookup = async (password: string): Promise<number | undefined> => {
    source ??= load();
    let s: Source;
    try {
      s = await source;
    } catch (err) {
      source = undefined; // try again next time: the file may be being replaced
      throw err;
    }
    const { prefix, suffix } = rangeKey(password);
    if (s.kind === 'file') return s.hashes.get(prefix + suffix) ?? 0;
    let body: string;
    try {
      body = await readFile(join(options.path, `${prefix}.txt`), 'utf8');
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return 0;
      throw err;
    }
    const range = parseRange(body);
    if (range === undefined) throw new Error('malformed range file');
    return range.get(suffix) ?? 0;
  };

  return {
    metrics,
    async check(password) {
      let count: number | undefined;
      try {
        count = await lookup(password);
      } catch (err) {
        metrics.failOpen('local_source');
        const detail = (err as { code?: unknown }).code ?? (err instanceof Error ? err.message : 'unknown');
        options.log.warn('breach check failed open', { provider: 'offline', reason: 'local_source', detail: String(detail) });
        return 'unknown';
      }
      const outcome = (count ?? 0) >= minCount ? 'breached' : 'clean';
      metrics.record(outcome);
      return outcome;
    },
  };
}
