import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_CONFIG, evaluateRules, haversineKm, type RuleInput } from './rules.ts';
import { deviceKey, emptySightings, networkKey, noteAttempt, noteTrusted, type UserSightings } from './sightings.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;
const PARIS = { lat: 48.86, lon: 2.35 };
const LONDON = { lat: 51.51, lon: -0.13 };
const TOKYO = { lat: 35.68, lon: 139.69 };
const VERSAILLES = { lat: 48.8, lon: 2.13 };

const iso = (ms: number) => new Date(ms).toISOString();
const PHONE = await deviceKey('acme', 'u1', 'phone-1');
const HOME = await networkKey('acme', 'u1', '203.0.113.0/24');

/** A user last trusted at T0, from Paris, on the phone at home. */
function known(place = PARIS, at = T0): UserSightings {
  return noteTrusted(emptySightings('acme', 'u1', iso(at)), { at: iso(at), deviceKey: PHONE, networkKey: HOME, place });
}

function input(overrides: Partial<RuleInput> = {}): RuleInput {
  return { event: 'login', nowMs: T0 + HOUR, deviceKey: PHONE, networkKey: HOME, place: PARIS, sightings: known(), recentFailures: 0, ...overrides };
}

function withAttempts(n: number, lastAt: number): UserSightings {
  let s = known();
  for (let i = n; i >= 1; i--) s = noteAttempt(s, { at: iso(lastAt - i * 1000), event: 'refresh' }, 600_000);
  return s;
}

describe('evaluateRules', () => {
  it('allows a known device on a known network from the same place, with no rule hit', () => {
    const d = evaluateRules(input());
    expect(d).toMatchObject({ level: 'allow', hits: [] });
    expect(d.features).toMatchObject({ first_sighting: false, device_known: true, network_known: true, attempts_in_window: 1, recent_failures: 0 });
    // The stored place is rounded to 0.1°: a few km of difference, far below minTravelKm.
    expect(d.features.distance_km).toBeLessThan(10);
  });

  it('does not apply new_device and new_network to the very first sighting of a user', () => {
    for (const sightings of [undefined, emptySightings('acme', 'u1', iso(T0))]) {
      const d = evaluateRules(input({ sightings, deviceKey: undefined }));
      expect(d.level).toBe('allow');
      expect(d.skipped).toEqual(expect.arrayContaining([{ rule: 'new_device', reason: 'first_sighting' }, { rule: 'new_network', reason: 'first_sighting' }]));
    }
  });

  describe('new_device', () => {
    it('hits an unknown device id: step_up', async () => {
      const d = evaluateRules(input({ deviceKey: await deviceKey('acme', 'u1', 'laptop-9') }));
      expect(d.level).toBe('step_up');
      expect(d.hits).toEqual([{ rule: 'new_device', level: 'step_up', detail: { device: 'unknown' } }]);
    });
    it('hits a login without a device id (unrecognised)', () => {
      expect(evaluateRules(input({ deviceKey: undefined })).hits).toEqual([{ rule: 'new_device', level: 'step_up', detail: { device: 'absent' } }]);
    });
    it('does not apply to a refresh without a device id (the family fixed it at login)', () => {
      const d = evaluateRules(input({ event: 'refresh', deviceKey: undefined }));
      expect(d.level).toBe('allow');
      expect(d.skipped).toContainEqual({ rule: 'new_device', reason: 'no_device_id' });
    });
    it('does not hit a known device, nor the same device id of another user', async () => {
      expect(evaluateRules(input()).hits).toEqual([]);
      // The pseudonym is per user: another user's phone-1 is not this user's.
      expect(await deviceKey('acme', 'u2', 'phone-1')).not.toBe(PHONE);
    });
  });

  describe('new_network', () => {
    it('hits a /24 never trusted: step_up', async () => {
      const d = evaluateRules(input({ networkKey: await networkKey('acme', 'u1', '198.51.100.0/24') }));
      expect(d.hits).toEqual([{ rule: 'new_network', level: 'step_up', detail: { network: 'unknown' } }]);
    });
    it('hits an address it cannot read (fails closed)', () => {
      expect(evaluateRules(input({ networkKey: undefined })).hits).toEqual([{ rule: 'new_network', level: 'step_up', detail: { network: 'unparseable' } }]);
    });
    it('does not hit a trusted network', () => {
      expect(evaluateRules(input()).hits.map((h) => h.rule)).not.toContain('new_network');
    });
  });

  describe('impossible_travel', () => {
    it('hits Paris to Tokyo in one hour: hardware_step_up, with distance and speed', () => {
      const d = evaluateRules(input({ place: TOKYO }));
      expect(d.level).toBe('hardware_step_up');
      const hit = d.hits.find((h) => h.rule === 'impossible_travel');
      expect(hit?.level).toBe('hardware_step_up');
      expect(hit?.detail['distance_km']).toBeGreaterThan(9600);
      expect(hit?.detail['distance_km']).toBeLessThan(9800);
      expect(hit?.detail['speed_kmh']).toBe(hit?.detail['distance_km']);
    });
    it('hits London to Paris in 20 minutes (about 1030 km/h)', () => {
      const d = evaluateRules(input({ sightings: known(LONDON), place: PARIS, nowMs: T0 + 20 * MIN }));
      expect(d.hits.map((h) => h.rule)).toEqual(['impossible_travel']);
    });
    it('does not hit Paris to Tokyo in 24 hours (about 400 km/h), nor London to Paris in an hour', () => {
      expect(evaluateRules(input({ place: TOKYO, nowMs: T0 + 24 * HOUR })).hits).toEqual([]);
      expect(evaluateRules(input({ sightings: known(LONDON), place: PARIS, nowMs: T0 + HOUR })).hits).toEqual([]);
    });
    it('ignores GeoIP noise: Paris to Versailles (17 km) one minute later', () => {
      const d = evaluateRules(input({ place: VERSAILLES, nowMs: T0 + MIN }));
      expect(d.features.speed_kmh).toBeGreaterThan(900);
      expect(d.hits).toEqual([]);
    });
    it('does not apply when the location is unknown, or nothing was located before', () => {
      expect(evaluateRules(input({ place: undefined })).skipped).toContainEqual({ rule: 'impossible_travel', reason: 'location_unknown' });
      const unlocated = noteTrusted(emptySightings('acme', 'u1', iso(T0)), { at: iso(T0), deviceKey: PHONE, networkKey: HOME, place: undefined });
      const d = evaluateRules(input({ sightings: unlocated, place: TOKYO, nowMs: T0 + MIN }));
      expect(d.hits).toEqual([]);
      expect(d.skipped).toContainEqual({ rule: 'impossible_travel', reason: 'no_previous_location' });
    });
    it('treats two far places at the same instant as impossible (no division by zero)', () => {
      expect(evaluateRules(input({ place: TOKYO, nowMs: T0 })).level).toBe('hardware_step_up');
    });
  });

  describe('velocity', () => {
    const now = T0 + HOUR;
    it('does not hit below the threshold (9 attempts in the window, this one included)', () => {
      const d = evaluateRules(input({ sightings: withAttempts(8, now), nowMs: now }));
      expect(d.hits).toEqual([]);
      expect(d.features.attempts_in_window).toBe(9);
    });
    it('asks for a step-up at the threshold (10 in 10 minutes)', () => {
      expect(evaluateRules(input({ sightings: withAttempts(9, now), nowMs: now })).hits).toEqual([
        { rule: 'velocity', level: 'step_up', detail: { attempts: 10, window_seconds: 600 } },
      ]);
    });
    it('refuses pending review at the deny threshold (30)', () => {
      const d = evaluateRules(input({ sightings: withAttempts(29, now), nowMs: now }));
      expect(d.level).toBe('deny_pending_review');
      expect(d.hits).toEqual([{ rule: 'velocity', level: 'deny_pending_review', detail: { attempts: 30, window_seconds: 600 } }]);
    });
    it('forgets attempts older than the window', () => {
      const old = withAttempts(29, now - DEFAULT_RULES_CONFIG.velocity.windowSeconds * 1000);
      expect(evaluateRules(input({ sightings: old, nowMs: now })).hits).toEqual([]);
    });
  });

  describe('recent_failures', () => {
    it('hits when the lockout counter held failures before this attempt: step_up', () => {
      expect(evaluateRules(input({ recentFailures: 2 })).hits).toEqual([{ rule: 'recent_failures', level: 'step_up', detail: { failures: 2 } }]);
    });
    it('does not hit without failures', () => {
      expect(evaluateRules(input({ recentFailures: 0 })).hits).toEqual([]);
    });
  });

  it('takes the highest level of every rule that hit', async () => {
    const d = evaluateRules(input({ deviceKey: await deviceKey('acme', 'u1', 'other'), place: TOKYO, recentFailures: 1 }));
    expect(d.hits.map((h) => h.rule)).toEqual(['new_device', 'impossible_travel', 'recent_failures']);
    expect(d.level).toBe('hardware_step_up');
  });

  it('haversine: Paris to London is about 344 km', () => {
    expect(haversineKm(PARIS, LONDON)).toBeGreaterThan(340);
    expect(haversineKm(PARIS, LONDON)).toBeLessThan(347);
    expect(haversineKm(PARIS, PARIS)).toBe(0);
  });
});
