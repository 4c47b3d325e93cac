/**
 * `npm run bench`: runs every bench file in `bench/` (every `*.ts` except this
 * one and tests), one after the other, and prints each report as a table.
 *
 *   npm run bench                  # all of them
 *   npm run bench -- cold-start    # only files whose name contains "cold-start"
 *
 * A bench file exports `name` and `run: () => Promise<...>` (or a default
 * export of the same function). `run` returns a {@link BenchReport}, a list of
 * them, or a list of {@link BenchRow} (`{metric, value, unit, goal?}`).
 * Each result is also written to `.local/bench/<file>.json`.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** One table of results. */
export interface BenchReport {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>;
  /** How it was measured, caveats: printed under the table. */
  readonly notes?: readonly string[];
}

/** One metric line, the simple form a bench may return instead of a report. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly goal?: string;
}

/** What a bench file's `run` (or default export) returns. */
export type BenchResult = BenchReport | BenchReport[] | BenchRow[];

/** A bench file's `run` (or default export). */
export type Bench = () => Promise<BenchResult>;

/** Normalises what a bench returned into reports. */
export function toReports(title: string, result: BenchResult): BenchReport[] {
  if (!Array.isArray(result)) return [result];
  if (result.length > 0 && 'metric' in (result[0] as object)) {
    const rows = result as BenchRow[];
    return [
      {
        title,
        columns: ['metric', 'value', 'goal'],
        rows: rows.map((r) => [r.metric, r.unit === 'ms' ? `${r.value.toFixed(2)} ms` : r.unit === 'ratio' ? `${r.value.toFixed(3)}x` : `${r.value} ${r.unit}`, r.goal ?? '']),
      },
    ];
  }
  return result as BenchReport[];
}

/** Renders a report as a plain-text table; columns whose cells are all numbers are right-aligned. */
export function renderTable(report: BenchReport): string {
  const cells = [report.columns.map(String), ...report.rows.map((r) => r.map(String))];
  const widths = report.columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = report.columns.map((_, i) => report.rows.length > 0 && report.rows.every((r) => /^-?[\d.]+(x| ms)?$/.test(String(r[i] ?? ''))));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [report.title, '', line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  for (const n of report.notes ?? []) out.push(`  * ${n}`);
  return out.join('\n');
}

/** Runs the selected bench files and prints their tables; exits non-zero when one fails. */
async function main(): Promise<void> {
  // The Google clients must never probe the GCE metadata server from a bench.
  process.env['METADATA_SERVER_DETECTION'] = 'none';

  const dir = import.meta.dirname;
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();

  if (files.length === 0) {
    process.stdout.write(`no bench files${filters.length > 0 ? ` match ${filters.join(', ')}` : ''}\n`);
    process.exit(1);
  }

  const outDir = path.resolve(dir, '..', '.local', 'bench');
  mkdirSync(outDir, { recursive: true });
  let failed = 0;
  for (const file of files) {
    process.stdout.write(`\n== ${file}\n`);
    const started = performance.now();
    try {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: unknown; run?: unknown; name?: unknown };
      const bench = typeof mod.run === 'function' ? mod.run : mod.default;
      if (typeof bench !== 'function') {
        process.stdout.write('(no `run` or default export: nothing to run)\n');
        continue;
      }
      const title = typeof mod.name === 'string' ? mod.name : path.basename(file, '.ts');
      const reports = toReports(title, (await (bench as Bench)()) as BenchResult);
      for (const r of reports) process.stdout.write(`${renderTable(r)}\n`);
      writeFileSync(path.join(outDir, `${path.basename(file, '.ts')}.json`), `${JSON.stringify(reports, null, 2)}\n`);
      process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    } catch (e) {
      failed++;
      process.stdout.write(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}

// Run only as `npm run bench`, not when a bench file imports `renderTable`.
if (import.meta.main) await main();
