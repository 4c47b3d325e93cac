import { describe, expect, it } from 'vitest';
import { isIamError } from '../../domain/errors.ts';
import type { TenantDirectory } from '../../domain/ports.ts';
import type { Region } from '../../domain/tenants/tenant.ts';
import type { Doc, Write } from './documents.ts';
import { cachedRegions, residencyGuard } from './residency.ts';

function countingDirectory(entries: Record<string, Region>): TenantDirectory & { calls: number } {
  const dir = {
    calls: 0,
    async regionOf(tenantId: string) {
      dir.calls++;
      return entries[tenantId];
    },
    async claim(): Promise<Region> {
      throw new Error('not used');
    },
  };
  return dir;
}

const set = (id: string, data: Doc): Write => ({ kind: 'set', collection: 'things', id, data });
const nothingStored = async () => undefined;

describe('residency guard', () => {
  it('asks the directory once per tenant: a region never changes', async () => {
    const dir = countingDirectory({ t1: 'eu' });
    const guard = residencyGuard('eu', cachedRegions(dir));
    await guard([set('a', { tenant_id: 't1' }), set('b', { tenant_id: 't1' })], nothingStored);
    await guard([set('c', { tenant_id: 't1' })], nothingStored);
    expect(dir.calls).toBe(1);
  });

  it('does not cache an unknown tenant, so a later claim is seen', async () => {
    const entries: Record<string, Region> = {};
    const guard = residencyGuard('me', cachedRegions(countingDirectory(entries)));
    const err = await guard([set('a', { tenant_id: 't2' })], nothingStored).catch((e: unknown) => e);
    expect(isIamError(err, 'residency_violation')).toBe(true);
    entries['t2'] = 'me';
    await expect(guard([set('a', { tenant_id: 't2' })], nothingStored)).resolves.toBeUndefined();
  });

  it('refuses an empty or non-string tenant_id', async () => {
    const guard = residencyGuard('eu', cachedRegions(countingDirectory({ t1: 'eu' })));
    for (const tenant_id of ['', 7, null]) {
      const err = await guard([set('a', { tenant_id })], nothingStored).catch((e: unknown) => e);
      expect(isIamError(err, 'residency_violation')).toBe(true);
    }
  });

  it('judges an update by the stored document and by the result', async () => {
    const guard = residencyGuard('eu', cachedRegions(countingDirectory({ t1: 'eu', t2: 'us' })));
    const update = (data: Doc): Write => ({ kind: 'update', collection: 'things', id: 'a', data });
    // moving a document to a tenant of another region
    const moved = await guard([update({ tenant_id: 't2' })], async () => ({ tenant_id: 't1' })).catch((e: unknown) => e);
    expect(isIamError(moved, 'residency_violation')).toBe(true);
    // a plain field update of an own document
    await expect(guard([update({ v: 1 })], async () => ({ tenant_id: 't1' }))).resolves.toBeUndefined();
    // an update after a set in the same transaction judges the set's data, not storage
    await expect(guard([set('a', { tenant_id: 't1' }), update({ v: 2 })], async () => ({ tenant_id: 't2' }))).resolves.toBeUndefined();
  });
});
