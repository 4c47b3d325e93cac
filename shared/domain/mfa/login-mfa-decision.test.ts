import { describe, expect, it } from 'vitest';
import type { MfaMethod } from '../accounts/user.ts';
import { fillPolicyDefaults, type PolicyInput, type TenantPolicy } from '../tenants/tenant.ts';
import { hasRecentSecondFactor, mayChangeFactors, RECENT_MFA_SECONDS } from './enrollment-token.ts';
import { loginMfaDecision } from './login-mfa-decision.ts';
import { RISK_LEVELS, type RiskLevel } from './risk/risk-level.ts';

function policy(input: PolicyInput = {}): TenantPolicy {
  const p = fillPolicyDefaults(input, { publicOrigin: 'https://iam.example.com' });
  if (typeof p === 'string') throw new Error(p);
  return p;
}

const user = (mfa: readonly MfaMethod[], roles: readonly string[] = ['member']) => ({ roles: [...roles], mfa_methods: [...mfa] });
const mandates = policy({ mfa: { required_for_roles: ['admin'], webauthn_required_for_roles: ['root'] } });

describe('loginMfaDecision', () => {
  it('without a risk level the policy alone decides', () => {
    expect(loginMfaDecision(user([]), mandates, undefined)).toEqual({ kind: 'none' });
    expect(loginMfaDecision(user(['totp', 'recovery_code']), mandates, undefined)).toEqual({ kind: 'mfa', methods: ['totp', 'recovery_code'] });
    expect(loginMfaDecision(user([], ['admin']), mandates, undefined)).toEqual({ kind: 'enroll', methods: ['totp', 'webauthn'] });
    expect(loginMfaDecision(user(['totp'], ['root']), mandates, undefined)).toEqual({ kind: 'enroll', methods: ['webauthn'] });
    expect(loginMfaDecision(user(['totp', 'webauthn'], ['root']), mandates, undefined)).toEqual({ kind: 'mfa', methods: ['webauthn'] });
  });

  it('the risk level only adds requirements: no level removes a mandate or a factor', () => {
    for (const level of RISK_LEVELS.filter((l) => l !== 'deny_pending_review')) {
      expect(loginMfaDecision(user([], ['admin']), mandates, level).kind).toBe('enroll');
      expect(loginMfaDecision(user(['totp']), mandates, level).kind).toBe('mfa');
    }
    expect(loginMfaDecision(user(['totp']), mandates, 'allow')).toEqual(loginMfaDecision(user(['totp']), mandates, undefined));
  });

  it('step-ups: mfa for users with a factor, webauthn only at hardware_step_up when they have it, a user without factors allowed at step_up and refused at hardware_step_up', () => {
    const cases: [readonly MfaMethod[], RiskLevel, unknown][] = [
      [['totp'], 'step_up', { kind: 'mfa', methods: ['totp'] }],
      [['totp', 'webauthn'], 'hardware_step_up', { kind: 'mfa', methods: ['webauthn'] }],
      [['totp'], 'hardware_step_up', { kind: 'mfa', methods: ['totp'] }],
      [[], 'step_up', { kind: 'none' }],
      [[], 'hardware_step_up', { kind: 'refuse', reason: 'no_factor_for_risk' }],
      [['totp'], 'deny_pending_review', { kind: 'refuse', reason: 'pending_review' }],
      [[], 'deny_pending_review', { kind: 'refuse', reason: 'pending_review' }],
    ];
    for (const [mfa, level, expected] of cases) expect(loginMfaDecision(user(mfa), policy(), level), `${mfa.join('+')} ${level}`).toEqual(expected);
  });
});

describe('mayChangeFactors (recent second factor)', () => {
  const now = 1_800_000_000_000;
  const t = now / 1000;
  it('a user without a primary factor may always enrol; with one, only a second factor of the last 5 minutes', () => {
    expect(mayChangeFactors(user([]), { amr: ['pwd'], auth_time: t - 3600 }, now)).toBe(true);
    expect(mayChangeFactors(user(['recovery_code']), { amr: ['pwd'], auth_time: t }, now)).toBe(true);
    expect(mayChangeFactors(user(['totp']), { amr: ['pwd'], auth_time: t }, now)).toBe(false);
    expect(mayChangeFactors(user(['webauthn']), { amr: ['email'], auth_time: t }, now)).toBe(false);
    for (const m of ['otp', 'hwk', 'rec']) expect(mayChangeFactors(user(['totp']), { amr: ['pwd', m], auth_time: t }, now)).toBe(true);
    expect(hasRecentSecondFactor({ amr: ['pwd', 'otp'], auth_time: t - RECENT_MFA_SECONDS }, now)).toBe(true);
    expect(hasRecentSecondFactor({ amr: ['pwd', 'otp'], auth_time: t - RECENT_MFA_SECONDS - 1 }, now)).toBe(false);
    expect(hasRecentSecondFactor({ amr: ['pwd', 'mfa'], auth_time: t }, now)).toBe(false);
  });

  it('judges by auth_time, not iat: a token refreshed now from an MFA login of an hour ago is not a recent MFA', () => {
    // What a refresh mints: iat = now, the login's amr and auth_time.
    const refreshed = { amr: ['pwd', 'otp'], iat: t, auth_time: t - 3600 };
    expect(hasRecentSecondFactor(refreshed, now)).toBe(false);
    expect(mayChangeFactors(user(['totp']), refreshed, now)).toBe(false);
  });

  it('a token without auth_time never counts as a recent MFA (fails closed)', () => {
    expect(hasRecentSecondFactor({ amr: ['pwd', 'otp'] }, now)).toBe(false);
    expect(mayChangeFactors(user(['totp']), { amr: ['pwd', 'hwk'] }, now)).toBe(false);
    // ... but first enrolment needs no recent MFA at all.
    expect(mayChangeFactors(user([]), { amr: ['pwd'] }, now)).toBe(true);
  });
});
