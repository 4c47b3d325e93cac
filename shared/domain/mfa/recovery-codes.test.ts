import { describe, expect, it } from 'vitest';
import { nodeMfaCrypto } from '../../adapters/crypto/mfa-crypto.ts';
import type { Random } from '../ports.ts';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_ALPHABET } from './recovery-codes.ts';

const fixedRandom = (bytes: number[]): Random => ({ bytes: () => Uint8Array.from(bytes), uuid: () => 'u' });

describe('recovery codes: form', () => {
  it('has 32 symbols, none of I, L, O, U', () => {
    expect(new Set(RECOVERY_CODE_ALPHABET).size).toBe(32);
    expect(RECOVERY_CODE_ALPHABET).not.toMatch(/[ILOU]/);
  });

  it('maps each byte to alphabet[byte & 31] and shows XXXXX-XXXXX', () => {
    expect(newRecoveryCode(fixedRandom([0, 1, 2, 31, 32, 255, 10, 17, 100, 200]))).toBe('012Z0-ZAH48');
  });

  it('refuses a Random that returns too few bytes', () => {
    expect(() => newRecoveryCode(fixedRandom([1, 2, 3]))).toThrow(/3 bytes/);
  });

  it('normalises case, spaces, hyphens and the confusable O, I, L', () => {
    expect(normalizeRecoveryCode('ab1cd-ef2gh')).toBe('AB1CDEF2GH');
    expect(normalizeRecoveryCode(' AB1CD EF2GH ')).toBe('AB1CDEF2GH');
    expect(normalizeRecoveryCode('oIl00-11111')).toBe('0110011111');
  });

  it.each(['', 'AB1CD-EF2G', 'AB1CD-EF2GHJ', 'AB1CD-EF2GU', 'AB1CD_EF2GH', 'AB1CD-EF2G!', 'ÀB1CD-EF2GH', `${'A'.repeat(10)}${' '.repeat(30)}`])(
    'refuses %j',
    (bad) => expect(normalizeRecoveryCode(bad)).toBeUndefined(),
  );
});

describe('recovery codes: keyed hash', () => {
  const pepper = new Uint8Array(32).fill(9);
  const salt = new Uint8Array(16).fill(1);

  it('is HMAC-SHA256(pepper, label || 0 || salt || code), base64url', async () => {
    const expected = await nodeMfaCrypto.hmac('SHA256', pepper, Uint8Array.from([...new TextEncoder().encode('iam.recovery_code.v1\u0000'), ...salt, ...new TextEncoder().encode('AB1CDEF2GH')]));
    expect(await hashRecoveryCode(nodeMfaCrypto, pepper, salt, 'AB1CDEF2GH')).toBe(Buffer.from(expected).toString('base64url'));
  });

  it('depends on the pepper, the salt and the code', async () => {
    const h = await hashRecoveryCode(nodeMfaCrypto, pepper, salt, 'AB1CDEF2GH');
    expect(await hashRecoveryCode(nodeMfaCrypto, new Uint8Array(32).fill(8), salt, 'AB1CDEF2GH')).not.toBe(h);
    expect(await hashRecoveryCode(nodeMfaCrypto, pepper, new Uint8Array(16).fill(2), 'AB1CDEF2GH')).not.toBe(h);
    expect(await hashRecoveryCode(nodeMfaCrypto, pepper, salt, 'AB1CDEF2GJ')).not.toBe(h);
  });
});
