/**
 * Argon2 bench: the CPU cost of one native Argon2id hash at the production
 * parameters (the reference, the physical floor of a login: SPEC section 6)
 * and of our `verify`, `dummyVerify` and `hash` paths, as ratios to it.
 *
 * `npm run bench` imports `{ name, run }`; the login bench reuses
 * {@link measureArgon2Reference}. Alone: `node bench/argon2.ts [iterations]`.
 */
import { randomBytes } from 'node:crypto';
import { OWASP_ARGON2ID, TAG_LENGTH, argon2Raw, createArgon2Hasher, type Argon2Params } from '../shared/adapters/node/argon2-hasher.ts';

/** One line of a bench report. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: 'ms' | 'ratio';
  /** What the value is checked against, when there is a bar. */
  readonly goal?: string;
}

/** Process CPU time (user + system, every thread) and wall time of one operation, averaged. */
export interface Cost {
  readonly cpuMs: number;
  readonly wallMs: number;
}

/** Options of the measurements. */
export interface Argon2BenchOptions {
  /** Measured runs per operation (after 2 warm-ups); 20 by default. */
  readonly iterations?: number;
  /** The production parameters; the OWASP minimum by default. */
  readonly params?: Argon2Params;
}

/**
 * Average cost of each operation, run sequentially and interleaved (one of
 * each per round) so drift in machine load or clock speed hits all alike.
 * CPU comes from `process.cpuUsage()`, which counts the libuv pool threads
 * where `crypto.argon2` runs.
 */
export async function measure<K extends string>(ops: Readonly<Record<K, () => Promise<unknown>>>, iterations: number): Promise<Record<K, Cost>> {
  const keys = Object.keys(ops) as K[];
  const cpu = new Map<K, number>(keys.map((k) => [k, 0]));
  const wall = new Map<K, number>(keys.map((k) => [k, 0]));
  for (let round = -2; round < iterations; round++) {
    for (const k of keys) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await ops[k]();
      const dt = performance.now() - t0;
      const dc = process.cpuUsage(c0);
      if (round < 0) continue; // warm-up
      cpu.set(k, (cpu.get(k) ?? 0) + (dc.user + dc.system) / 1000);
      wall.set(k, (wall.get(k) ?? 0) + dt);
    }
  }
  const out = {} as Record<K, Cost>;
  for (const k of keys) out[k] = { cpuMs: (cpu.get(k) ?? 0) / iterations, wallMs: (wall.get(k) ?? 0) / iterations };
  return out;
}

/** One bare native Argon2id computation at `params` with a fresh salt: the reference operation. */
export function argon2Reference(params: Argon2Params = OWASP_ARGON2ID): () => Promise<Uint8Array> {
  const message = new TextEncoder().encode('correct horse battery staple');
  return () => argon2Raw('argon2id', { message, nonce: new Uint8Array(randomBytes(16)), ...params, tagLength: TAG_LENGTH });
}

/** The reference cost alone. The login bench should rather put {@link argon2Reference} into its own interleaved {@link measure}. */
export async function measureArgon2Reference(options: Argon2BenchOptions = {}): Promise<Cost> {
  return (await measure({ reference: argon2Reference(options.params) }, options.iterations ?? 20)).reference;
}

/** Runs the Argon2 bench and returns its rows. */
export async function runArgon2Bench(options: Argon2BenchOptions = {}): Promise<BenchRow[]> {
  const iterations = options.iterations ?? 20;
  const params = options.params ?? OWASP_ARGON2ID;
  const hasher = createArgon2Hasher({ version: 1, params });
  const phc = await hasher.hash('correct horse battery staple');
  const wrong = 'correct horse battery stapler';
  const costs = await measure(
    {
      reference: argon2Reference(params),
      verify: () => hasher.verify(phc, wrong),
      dummy: () => hasher.dummyVerify(wrong),
      hash: () => hasher.hash('correct horse battery staple'),
    },
    iterations,
  );
  const { reference, verify, dummy, hash } = costs;
  const label = `m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}`;
  return [
    { metric: `argon2id native hash CPU (${label}), the reference`, value: reference.cpuMs, unit: 'ms' },
    { metric: `argon2id native hash wall (${label})`, value: reference.wallMs, unit: 'ms' },
    { metric: 'hasher.verify CPU', value: verify.cpuMs, unit: 'ms' },
    { metric: 'hasher.verify / reference (CPU)', value: verify.cpuMs / reference.cpuMs, unit: 'ratio', goal: '<= 1.2 (login budget)' },
    { metric: 'hasher.dummyVerify / reference (CPU)', value: dummy.cpuMs / reference.cpuMs, unit: 'ratio', goal: '~ verify ratio (unknown user = wrong password)' },
    { metric: 'hasher.hash / reference (CPU)', value: hash.cpuMs / reference.cpuMs, unit: 'ratio' },
  ];
}

/** The bench's name, for `bench/run.ts`. */
export const name = 'argon2';
/** Runs the bench, for `bench/run.ts`. */
export const run = runArgon2Bench;

if (import.meta.main) {
  const iterations = Number(process.argv[2] ?? 20);
  for (const row of await runArgon2Bench({ iterations })) {
    const value = row.unit === 'ratio' ? row.value.toFixed(3) : `${row.value.toFixed(2)} ms`;
    console.log(`${row.metric.padEnd(55)} ${value.padStart(10)}${row.goal ? `   goal ${row.goal}` : ''}`);
  }
}
