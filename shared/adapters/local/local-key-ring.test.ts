import { describe, expect, it } from 'vitest';
import { isIamError } from '../../domain/errors.ts';
import { JWKS_MAX_STALENESS_SECONDS } from '../../domain/keys/build-jwks.ts';
import { describeKeyRingContract } from '../../testing/key-ring-contract.ts';
import { fixedClock } from './clock.ts';
import { createLocalKeyRing, LOCAL_RING_CACHE_TTL_MS, type LocalKeyStore } from './local-key-ring.ts';
import { memoryKeyStore } from './local-key-ring-memory.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN_NEXT_AGE_MS = JWKS_MAX_STALENESS_SECONDS * 1000 + LOCAL_RING_CACHE_TTL_MS;

describeKeyRingContract('local ring on the in-memory store', async () => ({
  ring: createLocalKeyRing(memoryKeyStore(), { clock: fixedClock(T0) }),
}));

describe('local key ring (in-memory store)', () => {
  it('creates a current and a next key on first use, and nothing more', async () => {
    const store = memoryKeyStore();
    const ring = createLocalKeyRing(store, { clock: fixedClock(T0) });
    expect(store.snapshot()).toBeUndefined();
    const signer = await ring.current();
    const stored = store.snapshot();
    expect(stored?.current.kid).toBe(signer.kid);
    expect(stored?.next.kid).not.toBe(signer.kid);
    expect(stored?.previous).toBeUndefined();
    expect((await ring.published()).map((p) => p.status)).toEqual(['current', 'next']);
  });

  it('creates one ring when many instances cold-start at once', async () => {
    const store = memoryKeyStore();
    const rings = Array.from({ length: 10 }, () => createLocalKeyRing(store, { clock: fixedClock(T0) }));
    const kids = await Promise.all(rings.map(async (r) => (await r.current()).kid));
    expect(new Set(kids).size).toBe(1);
    expect(kids[0]).toBe(store.snapshot()?.current.kid);
  });

  it('refuses a scheduled rotation while the next key is younger than the JWKS may be cached', async () => {
    const clock = fixedClock(T0);
    const store = memoryKeyStore();
    const ring = createLocalKeyRing(store, { clock });
    await ring.current();
    const before = store.snapshot();
    clock.advance(MIN_NEXT_AGE_MS - 1000);
    const refused = await ring.rotate('scheduled');
    expect(refused).toEqual({ ok: false, error: { reason: 'next_key_too_young', retryAfterSeconds: 1 } });
    expect(store.snapshot()).toEqual(before);
  });

  it('rotates on schedule: next -> current, current -> previous, a new next; the old previous retires', async () => {
    const clock = fixedClock(T0);
    const store = memoryKeyStore();
    const ring = createLocalKeyRing(store, { clock });
    const first = (await ring.published()).map((p) => p.jwk.kid);
    clock.advance(MIN_NEXT_AGE_MS);
    const r1 = await ring.rotate('scheduled');
    if (!r1.ok) throw new Error('rotation refused');
    expect(r1.value).toMatchObject({ current: first[1], previous: first[0], retired: [] });
    expect((await ring.current()).kid).toBe(first[1]);
    expect((await ring.published()).map((p) => [p.status, p.jwk.kid])).toEqual([
      ['current', first[1]],
      ['next', r1.value.next],
      ['previous', first[0]],
    ]);
    clock.advance(MIN_NEXT_AGE_MS);
    const r2 = await ring.rotate('scheduled');
    if (!r2.ok) throw new Error('rotation refused');
    expect(r2.value).toMatchObject({ current: r1.value.next, previous: first[1], retired: [first[0]] });
    expect((await ring.published()).map((p) => p.jwk.kid)).not.toContain(first[0]);
  });

  it('rotates in an emergency at once, and the retired kid leaves the published set', async () => {
    const clock = fixedClock(T0);
    const ring = createLocalKeyRing(memoryKeyStore(), { clock });
    const compromised = (await ring.current()).kid;
    const rotated = await ring.rotate('emergency');
    if (!rotated.ok) throw new Error('emergency rotation refused');
    expect(rotated.value.retired).toEqual([compromised]);
    expect((await ring.current()).kid).not.toBe(compromised);
    expect((await ring.published()).map((p) => p.jwk.kid)).not.toContain(compromised);
  });

  it('picks up another instance’s rotation once its cached copy expires', async () => {
    const clock = fixedClock(T0);
    const store = memoryKeyStore();
    const a = createLocalKeyRing(store, { clock });
    const b = createLocalKeyRing(store, { clock });
    await a.current();
    clock.advance(MIN_NEXT_AGE_MS);
    const before = (await b.current()).kid;
    expect((await a.rotate('scheduled')).ok).toBe(true);
    expect((await b.current()).kid).toBe(before); // still within b's cache
    clock.advance(LOCAL_RING_CACHE_TTL_MS);
    expect((await b.current()).kid).toBe((await a.current()).kid);
    expect((await b.current()).kid).not.toBe(before);
  });

  it('keeps serving its cached keys when the store goes down, and is temporarily_unavailable without any', async () => {
    const clock = fixedClock(T0);
    const healthy = memoryKeyStore();
    let down = false;
    const flaky: LocalKeyStore = {
      read: () => (down ? Promise.reject(new Error('store down')) : healthy.read()),
      transact: (change) => (down ? Promise.reject(new Error('store down')) : healthy.transact(change)),
    };
    const warm = createLocalKeyRing(flaky, { clock });
    const kid = (await warm.current()).kid;
    down = true;
    clock.advance(LOCAL_RING_CACHE_TTL_MS * 3);
    expect((await warm.current()).kid).toBe(kid);
    expect((await warm.published()).length).toBe(2);
    const cold = createLocalKeyRing(flaky, { clock });
    const error = await cold.current().catch((e: unknown) => e);
    expect(isIamError(error, 'temporarily_unavailable')).toBe(true);
    expect((error as { retryAfter?: number }).retryAfter).toBeGreaterThan(0);
  });
});
