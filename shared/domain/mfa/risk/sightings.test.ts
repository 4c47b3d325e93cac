import { describe, expect, it } from 'vitest';
import { attemptsInWindow, emptySightings, isFirstSighting, MAX_ATTEMPTS, MAX_DEVICES, noteAttempt, noteTrusted } from './sightings.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();

describe('sightings', () => {
  it('remembers trusted devices and networks most recent first, keeps first_at, and forgets the least recent past the cap', () => {
    let s = emptySightings('acme', 'u1', iso(T0));
    expect(isFirstSighting(s)).toBe(true);
    s = noteTrusted(s, { at: iso(T0), deviceKey: 'd1', networkKey: 'n1', place: { lat: 48.8566, lon: 2.3522 } });
    s = noteTrusted(s, { at: iso(T0 + 1000), deviceKey: 'd2', networkKey: 'n1', place: undefined });
    s = noteTrusted(s, { at: iso(T0 + 2000), deviceKey: 'd1', networkKey: undefined, place: undefined });
    expect(isFirstSighting(s)).toBe(false);
    expect(s.devices).toEqual([
      { key: 'd1', first_at: iso(T0), last_at: iso(T0 + 2000) },
      { key: 'd2', first_at: iso(T0 + 1000), last_at: iso(T0 + 1000) },
    ]);
    expect(s.networks).toEqual([{ key: 'n1', first_at: iso(T0), last_at: iso(T0 + 1000) }]);
    // Rounded to 0.1°: the place is coarse on purpose.
    expect(s.last_place).toEqual({ at: iso(T0), lat: 48.9, lon: 2.4 });
    for (let i = 0; i < MAX_DEVICES + 5; i++) s = noteTrusted(s, { at: iso(T0 + 10_000 + i), deviceKey: `x${i}`, networkKey: undefined, place: undefined });
    expect(s.devices).toHaveLength(MAX_DEVICES);
    expect(s.devices.map((d) => d.key)).not.toContain('d1');
  });

  it('keeps attempts inside the window only, and at most MAX_ATTEMPTS', () => {
    let s = emptySightings('acme', 'u1', iso(T0));
    s = noteAttempt(s, { at: iso(T0), event: 'login' }, 60_000);
    s = noteAttempt(s, { at: iso(T0 + 30_000), event: 'refresh' }, 60_000);
    s = noteAttempt(s, { at: iso(T0 + 61_000), event: 'refresh' }, 60_000);
    expect(s.attempts).toEqual([
      { at: iso(T0 + 30_000), event: 'refresh' },
      { at: iso(T0 + 61_000), event: 'refresh' },
    ]);
    expect(attemptsInWindow(s, T0 + 91_000, 60_000)).toHaveLength(1);
    for (let i = 0; i < MAX_ATTEMPTS + 10; i++) s = noteAttempt(s, { at: iso(T0 + 100_000 + i), event: 'login' }, 3_600_000);
    expect(s.attempts).toHaveLength(MAX_ATTEMPTS);
  });
});
