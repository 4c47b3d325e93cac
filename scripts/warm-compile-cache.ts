/**
 * `npm run gcp-build` (Cloud Build runs it when it builds a function): loads the
 * heavy dependencies once with `NODE_COMPILE_CACHE` set, so the deployed image
 * carries V8's compiled code and a new instance skips most of the compilation
 * on its cold start (about a third of it here: docs/benchmarks.md). The
 * functions run with the same `NODE_COMPILE_CACHE` (infra/functions.tf).
 *
 *   NODE_COMPILE_CACHE=.cache/node-compile node scripts/warm-compile-cache.ts
 */
import module from 'node:module';

const dir = process.argv[2] ?? '.cache/node-compile';
module.enableCompileCache(dir);
const started = performance.now();
for (const name of [
  '@google-cloud/functions-framework',
  '@google-cloud/firestore',
  '@google-cloud/pubsub',
  '@google-cloud/kms',
  '@google-cloud/secret-manager',
  '@simplewebauthn/server',
  'jose',
  'valibot',
]) {
  await import(name);
}
module.flushCompileCache();
process.stdout.write(`compile cache for the dependencies written to ${dir} in ${Math.round(performance.now() - started)} ms\n`);
