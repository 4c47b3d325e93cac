import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_CONFIG, parseRiskConfig } from './risk-config.ts';

describe('parseRiskConfig', () => {
  it('has defaults: no classifier, 60 calls/min, a 60 s cache, 900 km/h, 10 and 30 attempts in 10 minutes', () => {
    expect(DEFAULT_RISK_CONFIG).toEqual({
      classifier: undefined,
      budgetPerMinute: 60,
      cacheSeconds: 60,
      geoIp: [],
      rules: { maxSpeedKmh: 900, minTravelKm: 100, velocity: { windowSeconds: 600, stepUpAt: 10, denyAt: 30 } },
    });
  });

  it('reads every variable', () => {
    expect(
      parseRiskConfig({
        IAM_RISK_CLASSIFIER_URL: 'https://risk.internal/classify',
        IAM_RISK_CLASSIFIER_TIMEOUT_MS: '250',
        IAM_RISK_CLASSIFIER_BUDGET_PER_MINUTE: '0',
        IAM_RISK_CACHE_SECONDS: '30',
        IAM_RISK_GEOIP: '203.0.113.0/24=48.86,2.35',
        IAM_RISK_MAX_SPEED_KMH: '1000',
        IAM_RISK_MIN_TRAVEL_KM: '50',
        IAM_RISK_VELOCITY_WINDOW_SECONDS: '300',
        IAM_RISK_VELOCITY_STEP_UP_AT: '5',
        IAM_RISK_VELOCITY_DENY_AT: '5',
      }),
    ).toEqual({
      classifier: { url: 'https://risk.internal/classify', timeoutMs: 250 },
      budgetPerMinute: 0,
      cacheSeconds: 30,
      geoIp: [{ cidr: '203.0.113.0/24', lat: 48.86, lon: 2.35 }],
      rules: { maxSpeedKmh: 1000, minTravelKm: 50, velocity: { windowSeconds: 300, stepUpAt: 5, denyAt: 5 } },
    });
  });

  it('refuses bad values with a message naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ IAM_RISK_CLASSIFIER_URL: 'ftp://x' }, /IAM_RISK_CLASSIFIER_URL/],
      [{ IAM_RISK_CLASSIFIER_TIMEOUT_MS: '0' }, /IAM_RISK_CLASSIFIER_TIMEOUT_MS/],
      [{ IAM_RISK_CLASSIFIER_TIMEOUT_MS: '1e3' }, /IAM_RISK_CLASSIFIER_TIMEOUT_MS/],
      [{ IAM_RISK_CACHE_SECONDS: '-1' }, /IAM_RISK_CACHE_SECONDS/],
      [{ IAM_RISK_CACHE_SECONDS: '3601' }, /IAM_RISK_CACHE_SECONDS/],
      [{ IAM_RISK_GEOIP: 'x=1,2' }, /IAM_RISK_GEOIP/],
      [{ IAM_RISK_VELOCITY_STEP_UP_AT: '10', IAM_RISK_VELOCITY_DENY_AT: '9' }, /DENY_AT/],
    ];
    for (const [env, message] of bad) expect(parseRiskConfig(env), JSON.stringify(env)).toMatch(message);
  });
});
