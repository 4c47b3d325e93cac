/**
 * The deploy artifact of each function: `functions/<name>/index.ts` and
 * everything it imports (our code and the Google clients), bundled by
 * rolldown into `<outDir>/<name>/`, which is the folder a function's source
 * archive holds (infra/functions.tf).
 *
 * Why: a cold start is mostly module loading, not our code. The Google
 * clients are hundreds of files each (resolution, stat, read and compile per
 * file); one minified ESM entry with a few chunks loads in a fraction of that
 * (docs/benchmarks.md, "cold-start"). Dynamic `import()`s stay separate
 * chunks, so what the sources load lazily (Firestore on first use, KMS only
 * with `IAM_SIGNER=kms`) the bundle loads lazily too.
 *
 * `@google-cloud/functions-framework` stays external: its `main.js` loads the
 * function and must find the function registered in its own module instance.
 * So each folder also gets a `package.json` naming it as the one dependency,
 * and a `gcp-build` script that fills V8's compile cache at build time.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'rolldown';

/** Options for {@link bundleFunctions}. */
export interface BundleOptions {
  /** The repository root. */
  readonly root: string;
  /** Where `<name>/` folders go; each is emptied first. */
  readonly outDir: string;
  /** The functions to build (folder names under `functions/`). */
  readonly names: readonly string[];
  /** Minify (default true: what is deployed). */
  readonly minify?: boolean;
}

/** One built function. */
export interface BuiltFunction {
  readonly name: string;
  /** `<outDir>/<name>`: the deployable folder. */
  readonly dir: string;
  /** The entry module functions-framework loads (`--source`). */
  readonly entry: string;
  /** Bytes of every `.mjs` file (entry and chunks). */
  readonly bytes: number;
  /** Bytes of the entry module alone: what every cold start loads. */
  readonly entryBytes: number;
  readonly files: number;
}

/** The entry module's name inside each folder (the deploy `package.json`'s `main`). */
export const ENTRY = 'index.mjs';
/** Where the deployed function's compile cache lives, relative to its folder (infra/functions.tf's `NODE_COMPILE_CACHE`). */
export const COMPILE_CACHE_DIR = '.cache/node-compile';

/**
 * The `gcp-build` step of a deployed folder: compiles the entry module and its
 * chunks into V8's compile cache. The import runs the function's top level,
 * which fails at build time for want of its configuration; V8 has compiled the
 * module by then, and the cache keeps it.
 */
const WARM_SCRIPT = `import module from 'node:module';
import { readdirSync } from 'node:fs';
module.enableCompileCache(${JSON.stringify(COMPILE_CACHE_DIR)});
for (const file of readdirSync('.').filter((f) => f.endsWith('.mjs') && f !== 'warm-compile-cache.mjs')) {
  try { await import('./' + file); } catch { /* no configuration at build time: compiled all the same */ }
}
module.flushCompileCache();
`;

/** Builds every function of `options.names` into its own folder, one after another. */
export async function bundleFunctions(options: BundleOptions): Promise<BuiltFunction[]> {
  const rootPackage = JSON.parse(readFileSync(path.join(options.root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    engines: Record<string, string>;
  };
  const framework = rootPackage.dependencies['@google-cloud/functions-framework'];
  if (framework === undefined) throw new Error('package.json has no @google-cloud/functions-framework dependency');
  const built: BuiltFunction[] = [];
  for (const name of options.names) {
    const dir = path.join(options.outDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await build({
      cwd: options.root,
      input: path.join(options.root, 'functions', name, 'index.ts'),
      platform: 'node',
      external: [/^@google-cloud\/functions-framework(\/|$)/, /^node:/],
      logLevel: 'warn',
      output: {
        dir,
        format: 'esm',
        entryFileNames: ENTRY,
        chunkFileNames: 'chunk-[name]-[hash].mjs',
        minify: options.minify ?? true,
        // Third-party licence headers stay with the code they cover; other comments go.
        comments: { legal: true, annotation: false, jsdoc: false },
      },
    });
    writeFileSync(
      path.join(dir, 'package.json'),
      `${JSON.stringify(
        {
          name: `iam-${name}`,
          private: true,
          type: 'module',
          main: ENTRY,
          engines: rootPackage.engines,
          scripts: { 'gcp-build': 'node warm-compile-cache.mjs' },
          dependencies: { '@google-cloud/functions-framework': framework },
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(path.join(dir, 'warm-compile-cache.mjs'), WARM_SCRIPT);
    const modules = readdirSync(dir).filter((f) => f.endsWith('.mjs') && f !== 'warm-compile-cache.mjs');
    built.push({
      name,
      dir,
      entry: path.join(dir, ENTRY),
      bytes: modules.reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0),
      entryBytes: statSync(path.join(dir, ENTRY)).size,
      files: modules.length,
    });
  }
  return built;
}
