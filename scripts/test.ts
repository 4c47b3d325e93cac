/**
 * `npm test`: the typecheck, lint (failing on warnings) and vitest, in that
 * order, then one plain `N passed, N failed` line. The typecheck and the lint
 * count as one check each. Exits non-zero when anything failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const node = process.execPath;
const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function step(name: string, args: string[]): boolean {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(node, args, { stdio: 'inherit', env: { ...process.env, METADATA_SERVER_DETECTION: 'none' } });
  return r.status === 0;
}

if (extra.length === 0) {
  for (const [name, args] of [
    ['typecheck', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']],
    ['lint', ['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.']],
  ] as const) {
    if (step(name, [...args])) passed++;
    else {
      failed++;
      process.stdout.write(`${name}: FAILED\n`);
    }
  }
}

mkdirSync('.local', { recursive: true });
const report = '.local/vitest-report.json';
rmSync(report, { force: true });
const vitestOk = step('vitest', [
  'node_modules/vitest/vitest.mjs',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra,
]);
try {
  const r = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numFailedTestSuites: number;
  };
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A file that fails to load has no failed test but a failed suite.
  if (r.numFailedTests === 0 && r.numFailedTestSuites > 0) failed += r.numFailedTestSuites;
} catch {
  failed++;
  process.stdout.write('vitest: no report was written\n');
}
if (!vitestOk && failed === 0) failed++;

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? 0 : 1);
