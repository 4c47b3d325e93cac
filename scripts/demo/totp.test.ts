import { describe, expect, it } from 'vitest';
import { decodeBase32Secret, hotp, stepAt, totpCode } from './totp.ts';

// RFC 6238 Appendix B: the seeds are the ASCII "1234567890" repeated to 20, 32 and 64 bytes.
const SEED20 = new TextEncoder().encode('12345678901234567890');
const SEED32 = new TextEncoder().encode('12345678901234567890123456789012');
const SEED64 = new TextEncoder().encode('1234567890123456789012345678901234567890123456789012345678901234');

describe('RFC 6238 Appendix B test vectors (8 digits)', () => {
  const vectors: Array<[number, string, string, string]> = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  for (const [time, sha1, sha256, sha512] of vectors) {
    it(`T = ${time}`, () => {
      const step = stepAt(time * 1000);
      expect(hotp(SEED20, step, 8, 'sha1')).toBe(sha1);
      expect(hotp(SEED32, step, 8, 'sha256')).toBe(sha256);
      expect(hotp(SEED64, step, 8, 'sha512')).toBe(sha512);
    });
  }
});

describe('base32 secrets as authenticator apps take them', () => {
  it('decodes the RFC 6238 seed from its base32 form, without padding and in lower case', () => {
    // base32("12345678901234567890")
    expect(decodeBase32Secret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(SEED20);
    expect(decodeBase32Secret('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(SEED20);
    expect(totpCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', stepAt(59_000))).toBe('287082');
  });

  it('refuses a letter outside the base32 alphabet', () => {
    expect(() => decodeBase32Secret('GEZDGNBVGY3TQOJ1')).toThrow();
  });
});
