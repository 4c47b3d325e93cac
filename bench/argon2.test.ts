import { describe, expect, it } from 'vitest';
import { name, run } from './argon2.ts';

describe('bench/argon2', () => {
  it('exports { name, run } and reports the reference and the verify ratio', async () => {
    expect(name).toBe('argon2');
    const rows = await run({ iterations: 2 });
    const reference = rows.find((r) => r.metric.includes('the reference'));
    const ratio = rows.find((r) => r.metric === 'hasher.verify / reference (CPU)');
    expect(reference?.unit).toBe('ms');
    expect(reference?.value).toBeGreaterThan(1);
    // Loose: two runs on a shared machine. A verify that skipped Argon2 would be ~0.
    expect(ratio?.value).toBeGreaterThan(0.3);
    expect(ratio?.value).toBeLessThan(3);
  });
});
