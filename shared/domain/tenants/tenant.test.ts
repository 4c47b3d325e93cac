import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ABSOLUTE_SECONDS,
  DEFAULT_IDLE_SECONDS,
  fillPolicyDefaults,
  PolicyInputSchema,
  REGIONS,
  TenantIdSchema,
  type PolicyInput,
  type TenantPolicy,
} from './tenant.ts';

const ctx = { publicOrigin: 'https://id.melmastoon.com' };

function policy(input: PolicyInput | undefined, context = ctx): TenantPolicy {
  const out = fillPolicyDefaults(input, context);
  if (typeof out === 'string') throw new Error(`unexpected refusal: ${out}`);
  return out;
}

/** Parses like an event or admin request would: valibot, strict. */
function parse(input: unknown) {
  return v.safeParse(PolicyInputSchema, input);
}

describe('REGIONS', () => {
  it('are the three residency regions of SPEC section 3', () => {
    expect(REGIONS).toEqual(['eu', 'me', 'us']);
  });
});

describe('TenantIdSchema', () => {
  it.each(['t1', 'acme', 'a', 'acme-corp-2', 'x'.repeat(63)])('accepts %s', (id) => {
    expect(v.is(TenantIdSchema, id)).toBe(true);
  });

  it.each(['', 'Acme', '-acme', 'acme-', 'a_b', 'a.b', 'a/b', '../t1', 'x'.repeat(64), 'tënant', ' t1'])('refuses %j', (id) => {
    expect(v.is(TenantIdSchema, id)).toBe(false);
  });
});

describe('fillPolicyDefaults (SPEC section 3 defaults)', () => {
  it('fills every default when no policy is given', () => {
    expect(policy(undefined)).toEqual({
      mfa: { required_for_roles: [], webauthn_required_for_roles: [] },
      lockout: { threshold: 5, unlock_after_seconds: 900 },
      session: { refresh_grace_seconds: 10, idle_seconds: DEFAULT_IDLE_SECONDS, absolute_seconds: DEFAULT_ABSOLUTE_SECONDS },
      sso: { required: false, emergency_fallback: 'none' },
      webauthn: { rp_id: 'id.melmastoon.com', origins: ['https://id.melmastoon.com'] },
      device_cert: { validity_days: 30 },
    });
  });

  it('an empty policy is the same as none', () => {
    expect(policy({})).toEqual(policy(undefined));
  });

  it('keeps given values and fills the rest of the same section', () => {
    const p = policy({ lockout: { threshold: 3 }, session: { refresh_grace_seconds: 0 }, sso: { required: true } });
    expect(p.lockout).toEqual({ threshold: 3, unlock_after_seconds: 900 });
    expect(p.session).toEqual({ refresh_grace_seconds: 0, idle_seconds: DEFAULT_IDLE_SECONDS, absolute_seconds: DEFAULT_ABSOLUTE_SECONDS });
    expect(p.sso).toEqual({ required: true, emergency_fallback: 'none' });
    expect(p.device_cert.validity_days).toBe(30);
  });

  it('keeps a full policy exactly', () => {
    const full: TenantPolicy = {
      mfa: { required_for_roles: ['admin'], webauthn_required_for_roles: ['platform_admin'] },
      lockout: { threshold: 10, unlock_after_seconds: 3600 },
      session: { refresh_grace_seconds: 30, idle_seconds: 3600, absolute_seconds: 86_400 },
      sso: { required: true, emergency_fallback: 'magic_link' },
      webauthn: { rp_id: 'melmastoon.com', origins: ['https://app.melmastoon.com', 'https://id.melmastoon.com'] },
      device_cert: { validity_days: 7 },
    };
    const parsed = parse(full);
    expect(parsed.success).toBe(true);
    expect(policy(parsed.output as PolicyInput)).toEqual(full);
  });

  it('defaults the WebAuthn origin and rp_id from the edge origin', () => {
    expect(policy(undefined, { publicOrigin: 'https://login.example.org:8443/base' }).webauthn).toEqual({
      rp_id: 'login.example.org',
      origins: ['https://login.example.org:8443'],
    });
  });

  it('uses localhost as rp_id for the loopback edge (an IP address cannot be an RP ID)', () => {
    expect(policy(undefined, { publicOrigin: 'http://127.0.0.1:8080' }).webauthn).toEqual({
      rp_id: 'localhost',
      origins: ['http://127.0.0.1:8080', 'http://localhost:8080'],
    });
  });

  it('refuses an idle lifetime longer than the absolute one', () => {
    expect(fillPolicyDefaults({ session: { idle_seconds: 7200, absolute_seconds: 3600 } }, ctx)).toBe(
      'session.idle_seconds must not exceed session.absolute_seconds',
    );
  });

  it('refuses an absolute lifetime below the default idle one when idle is left to default', () => {
    expect(typeof fillPolicyDefaults({ session: { absolute_seconds: 3600 } }, ctx)).toBe('string');
  });

  it('accepts idle equal to absolute', () => {
    expect(policy({ session: { idle_seconds: 3600, absolute_seconds: 3600 } }).session.idle_seconds).toBe(3600);
  });
});

describe('PolicyInputSchema: strict', () => {
  it.each([
    ['an unknown top-level section', { password: { min_length: 4 } }, ['password']],
    ['an unknown field in a section', { lockout: { threshold: 5, disabled: true } }, ['lockout', 'disabled']],
    ['an unknown field in mfa', { mfa: { required_for_roles: [], bypass: true } }, ['mfa', 'bypass']],
    ['an unknown field in device_cert', { device_cert: { validity_days: 30, ca: 'x' } }, ['device_cert', 'ca']],
  ])('refuses %s and points at it', (_name, input, path) => {
    const r = parse(input);
    expect(r.success).toBe(false);
    expect(r.issues?.[0]?.path?.map((p) => p.key)).toEqual(path);
  });

  it.each([
    ['threshold as a string', { lockout: { threshold: '5' } }],
    ['threshold zero', { lockout: { threshold: 0 } }],
    ['threshold fractional', { lockout: { threshold: 2.5 } }],
    ['threshold too high', { lockout: { threshold: 101 } }],
    ['unlock too short', { lockout: { unlock_after_seconds: 59 } }],
    ['unlock over a day', { lockout: { unlock_after_seconds: 86_401 } }],
    ['grace negative', { session: { refresh_grace_seconds: -1 } }],
    ['grace over two minutes', { session: { refresh_grace_seconds: 121 } }],
    ['idle under five minutes', { session: { idle_seconds: 299 } }],
    ['absolute over a year', { session: { absolute_seconds: 31_536_001 } }],
    ['sso.required as a string', { sso: { required: 'true' } }],
    ['an unknown fallback', { sso: { emergency_fallback: 'sms' } }],
    ['roles not an array', { mfa: { required_for_roles: 'admin' } }],
    ['a role with spaces', { mfa: { required_for_roles: ['platform admin'] } }],
    ['an upper-case role', { mfa: { webauthn_required_for_roles: ['Admin'] } }],
    ['65 roles', { mfa: { required_for_roles: Array.from({ length: 65 }, (_, i) => `r${i}`) } }],
    ['an origin that is not a URL', { webauthn: { origins: ['not a url'] } }],
    ['no origins', { webauthn: { origins: [] } }],
    ['17 origins', { webauthn: { origins: Array.from({ length: 17 }, (_, i) => `https://o${i}.example.com`) } }],
    ['an rp_id with a scheme', { webauthn: { rp_id: 'https://example.com' } }],
    ['validity of 0 days', { device_cert: { validity_days: 0 } }],
    ['validity over 397 days', { device_cert: { validity_days: 398 } }],
    ['a section that is not an object', { lockout: 5 }],
    ['a null section', { sso: null }],
    ['an array as the policy', [{ lockout: {} }]],
  ])('refuses %s', (_name, input) => {
    expect(parse(input).success).toBe(false);
  });

  it('accepts the boundaries', () => {
    const r = parse({
      lockout: { threshold: 1, unlock_after_seconds: 60 },
      session: { refresh_grace_seconds: 0, idle_seconds: 300, absolute_seconds: 31_536_000 },
      device_cert: { validity_days: 397 },
    });
    expect(r.success).toBe(true);
  });
});
