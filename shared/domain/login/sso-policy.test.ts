import { describe, expect, it } from 'vitest';
import { fillPolicyDefaults, type PolicyInput, type TenantPolicy } from '../tenants/tenant.ts';
import { mfaRequirement } from './finish-login.ts';
import { magicLinkAllowed, passwordLoginRule } from './sso-policy.ts';

const policy = (input: PolicyInput): TenantPolicy => {
  const p = fillPolicyDefaults(input, { publicOrigin: 'https://id.example.com' });
  if (typeof p === 'string') throw new Error(p);
  return p;
};

describe('passwordLoginRule and magicLinkAllowed', () => {
  it.each([
    [{}, ['member'], 'allowed', true],
    [{ sso: { required: false, emergency_fallback: 'none' } }, ['platform_admin'], 'allowed', true],
    [{ sso: { required: true } }, ['member'], 'sso_required', false],
    [{ sso: { required: true } }, [], 'sso_required', false],
    [{ sso: { required: true } }, ['member', 'platform_admin'], 'breakglass', false],
    [{ sso: { required: true, emergency_fallback: 'password' } }, ['member'], 'allowed', false],
    [{ sso: { required: true, emergency_fallback: 'password' } }, ['platform_admin'], 'allowed', false],
    [{ sso: { required: true, emergency_fallback: 'magic_link' } }, ['member'], 'sso_required', true],
    [{ sso: { required: true, emergency_fallback: 'magic_link' } }, ['platform_admin'], 'breakglass', true],
  ] as const)('%j with roles %j: password %s, magic link %s', (input, roles, rule, link) => {
    expect(passwordLoginRule(policy(input as PolicyInput), roles)).toBe(rule);
    expect(magicLinkAllowed(policy(input as PolicyInput))).toBe(link);
  });
});

describe('mfaRequirement', () => {
  const p = policy({ mfa: { required_for_roles: ['admin'], webauthn_required_for_roles: ['root'] } });
  it.each([
    [['member'], [], undefined],
    [['member'], ['totp'], { methods: ['totp'], enrollmentRequired: false }],
    [['member'], ['totp', 'totp', 'recovery_code'], { methods: ['totp', 'recovery_code'], enrollmentRequired: false }],
    [['admin'], [], { methods: ['totp', 'webauthn'], enrollmentRequired: true }],
    [['admin'], ['webauthn'], { methods: ['webauthn'], enrollmentRequired: false }],
    [['root'], ['totp'], { methods: ['webauthn'], enrollmentRequired: true }],
    [['root', 'admin'], ['webauthn', 'totp'], { methods: ['webauthn'], enrollmentRequired: false }],
  ] as const)('roles %j, factors %j -> %j', (roles, factors, expected) => {
    expect(mfaRequirement({ roles, mfa_methods: factors }, p)).toEqual(expected);
  });
});
