import { describe, expect, it } from 'vitest';
import { aClient, CLIENT, refreshWorld } from '../../../functions/refresh/testing/refresh-world.ts';
import { rotateRefreshToken } from './rotate-refresh-token.ts';
import { shredLapsedGrace } from './shred-lapsed-grace.ts';

async function rotated(w: Awaited<ReturnType<typeof refreshWorld>>, token: string): Promise<string> {
  const r = await rotateRefreshToken(w.deps, { refreshToken: token, clientId: CLIENT, client: aClient() });
  if (!r.ok || r.value.kind !== 'tokens') throw new Error('refresh refused');
  return r.value.body.refresh_token;
}

describe('shredLapsedGrace: the sealed successor lives only as long as its window', () => {
  it('leaves an open window alone; once it has lapsed, clears the seal of every family, and the sessions go on working', async () => {
    const w = await refreshWorld();
    const user = await w.seedUser();
    const a = await w.startFamily(user);
    const b = await w.startFamily(user);
    const nextA = await rotated(w, a.token);
    const nextB = await rotated(w, b.token);
    expect((await w.record(a.token))?.successor_sealed).toBeTruthy();

    // Inside the 10 s window: nothing to shred, and a retry still gets the same successor.
    w.fixed.advance(5_000);
    expect(await shredLapsedGrace({ uow: w.stores.uow, clock: w.clock }, { batchSize: 10, maxBatches: 5 })).toEqual({
      shredded: 0,
      by_region: { eu: 0, me: 0, us: 0 },
      more: false,
    });
    expect((await w.record(a.token))?.successor_sealed).toBeTruthy();

    w.fixed.advance(6_000);
    const report = await shredLapsedGrace({ uow: w.stores.uow, clock: w.clock }, { batchSize: 10, maxBatches: 5 });
    expect(report).toEqual({ shredded: 2, by_region: { eu: 2, me: 0, us: 0 }, more: false });
    for (const old of [a.token, b.token]) {
      const record = await w.record(old);
      expect(record).toMatchObject({ status: 'rotated', successor_sealed: null, grace_until: null });
      expect(record?.successor).toBeTruthy();
    }
    // The live tokens rotate as before; a second run finds nothing more.
    await rotated(w, nextA);
    await rotated(w, nextB);
    expect((await shredLapsedGrace({ uow: w.stores.uow, clock: w.clock }, { batchSize: 10, maxBatches: 5 })).shredded).toBe(0);
    // The old token after the window is still a reuse: the shredding changes nothing about detection.
    const reuse = await rotateRefreshToken(w.deps, { refreshToken: a.token, clientId: CLIENT, client: aClient() });
    expect(!reuse.ok && reuse.error.reason).toBe('reuse_detected');
  });

  it('works in batches and says when a run left work for the next', async () => {
    const w = await refreshWorld();
    const user = await w.seedUser();
    for (let i = 0; i < 5; i++) await rotated(w, (await w.startFamily(user)).token);
    w.fixed.advance(11_000);
    const deps = { uow: w.stores.uow, clock: w.clock, regions: ['eu'] as const };
    expect(await shredLapsedGrace(deps, { batchSize: 2, maxBatches: 2 })).toEqual({ shredded: 4, by_region: { eu: 4 }, more: true });
    expect(await shredLapsedGrace(deps, { batchSize: 2, maxBatches: 2 })).toEqual({ shredded: 1, by_region: { eu: 1 }, more: false });
  });
});
