/**
 * `npm run build [-- --out DIR] [NAME ...]`: bundles every function (or the
 * named ones) into `dist/<name>/`, the folder each function's source archive
 * holds (scripts/build/bundle-functions.ts; infra/README.md, "Deploying").
 * Prints each folder with its size.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunctions } from './build/bundle-functions.ts';
import { discoverFunctions } from './stack/functions.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
const all = discoverFunctions(root);
const unknown = positionals.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`build: no function named ${unknown.join(', ')} (functions: ${all.join(', ')})\n`);
  process.exit(2);
}
const outDir = path.resolve(root, values.out ?? 'dist');
const started = performance.now();
const built = await bundleFunctions({ root, outDir, names: positionals.length > 0 ? positionals : all });
const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
for (const b of built) {
  process.stdout.write(`${path.relative(process.cwd(), b.dir).padEnd(24)} entry ${kib(b.entryBytes).padStart(9)}, ${b.files} modules ${kib(b.bytes).padStart(9)}\n`);
}
process.stdout.write(`built ${built.length} function(s) in ${Math.round(performance.now() - started)} ms\n`);
