import { describe, expect, it } from 'vitest';
import { isRevokedByEpoch, PLATFORM_SCOPE, raiseEpoch, type RevocationEpoch } from './revocation-epoch.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
const session = (tenant: string, created: number) => ({ tenant_id: tenant, created_at: at(created) });
const platform = (s: number) => ({ epoch: at(s) });
const tenant = (id: string, s: number) => ({ tenant_id: id, epoch: at(s) });
const OPERATOR = { type: 'platform', id: 'alice' } as const;

describe('isRevokedByEpoch', () => {
  it('revokes a family created at or before the platform epoch, whatever its tenant', () => {
    expect(isRevokedByEpoch(session('t1', 9), { platform: platform(10), tenant: undefined })).toBe('platform_epoch');
    expect(isRevokedByEpoch(session('t1', 10), { platform: platform(10), tenant: undefined })).toBe('platform_epoch');
    expect(isRevokedByEpoch(session('t1', 11), { platform: platform(10), tenant: undefined })).toBeUndefined();
  });

  it("revokes a family created at or before its own tenant's epoch", () => {
    expect(isRevokedByEpoch(session('t1', 5), { platform: undefined, tenant: tenant('t1', 5) })).toBe('tenant_epoch');
    expect(isRevokedByEpoch(session('t1', 6), { platform: platform(1), tenant: tenant('t1', 5) })).toBeUndefined();
  });

  it('keeps every family without epochs', () => {
    expect(isRevokedByEpoch(session('t1', 0), { platform: undefined, tenant: undefined })).toBeUndefined();
  });

  it("throws when handed another tenant's epoch (a caller bug that would revoke the wrong sessions)", () => {
    expect(() => isRevokedByEpoch(session('t1', 0), { platform: undefined, tenant: tenant('t2', 10) })).toThrow(/tenant t2/);
  });
});

describe('raiseEpoch', () => {
  it('starts at version 1 with the given instant', () => {
    expect(raiseEpoch(undefined, { scope: PLATFORM_SCOPE, at: at(3), actor: OPERATOR, reason: 'key_compromise' })).toEqual({
      tenant_id: PLATFORM_SCOPE,
      epoch: at(3),
      set_at: at(3),
      actor: OPERATOR,
      reason: 'key_compromise',
      version: 1,
    });
  });

  it('moves forward, never back (a clock behind keeps the later epoch), and counts versions', () => {
    const stored: RevocationEpoch = { tenant_id: 't1', epoch: at(10), set_at: at(10), actor: OPERATOR, reason: 'a', version: 4 };
    expect(raiseEpoch(stored, { scope: 't1', at: at(20), actor: OPERATOR, reason: 'b' })).toMatchObject({ epoch: at(20), version: 5 });
    expect(raiseEpoch(stored, { scope: 't1', at: at(5), actor: OPERATOR, reason: 'c' })).toMatchObject({ epoch: at(10), set_at: at(5), version: 5, reason: 'c' });
  });

  it("throws when raising another scope's stored epoch", () => {
    const stored: RevocationEpoch = { tenant_id: 't1', epoch: at(10), set_at: at(10), actor: OPERATOR, reason: 'a', version: 1 };
    expect(() => raiseEpoch(stored, { scope: 't2', at: at(20), actor: OPERATOR, reason: 'b' })).toThrow();
  });
});
