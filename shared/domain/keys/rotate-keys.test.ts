import { describe, expect, it } from 'vitest';
import { rotateKeys, type KeySet } from './rotate-keys.ts';

interface K {
  readonly id: string;
  readonly publishedAt: number;
}
const k = (id: string, publishedAt = 0): K => ({ id, publishedAt });
const set: KeySet<K> = { current: k('c'), next: k('n', 1000), previous: k('p') };

describe('rotateKeys', () => {
  it('scheduled: next -> current, current -> previous, fresh -> next; the old previous retires', () => {
    const r = rotateKeys({ keys: set, fresh: k('f'), mode: 'scheduled', now: 11_000, minNextAgeMs: 10_000 });
    expect(r).toEqual({ ok: true, value: { keys: { current: k('n', 1000), next: k('f'), previous: k('c') }, retired: [k('p')] } });
  });

  it('scheduled with no previous retires nothing', () => {
    const r = rotateKeys({ keys: { ...set, previous: undefined }, fresh: k('f'), mode: 'scheduled', now: 11_000, minNextAgeMs: 10_000 });
    expect(r.ok && r.value.retired).toEqual([]);
  });

  it('scheduled is refused while the next key is younger than verifiers may cache the JWKS', () => {
    const r = rotateKeys({ keys: set, fresh: k('f'), mode: 'scheduled', now: 10_999, minNextAgeMs: 10_000 });
    expect(r).toEqual({ ok: false, error: { reason: 'next_key_too_young', retryAfterSeconds: 1 } });
  });

  it('emergency: rotates at once, retires the current key and keeps the previous one', () => {
    const r = rotateKeys({ keys: set, fresh: k('f'), mode: 'emergency', now: 1001, minNextAgeMs: 10_000 });
    expect(r).toEqual({ ok: true, value: { keys: { current: k('n', 1000), next: k('f'), previous: k('p') }, retired: [k('c')] } });
  });
});
