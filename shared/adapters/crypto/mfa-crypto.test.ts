import { describe, expect, it } from 'vitest';
import { nodeMfaCrypto } from './mfa-crypto.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('base32 (RFC 4648 §10 test vectors)', () => {
  const vectors: readonly (readonly [string, string])[] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];
  for (const [plain, padded] of vectors) {
    it(`BASE32("${plain}") = "${padded}", encoded without padding`, () => {
      const unpadded = padded.replace(/=+$/, '');
      expect(nodeMfaCrypto.base32Encode(ascii(plain))).toBe(unpadded);
      expect(nodeMfaCrypto.base32Decode(unpadded)).toEqual(ascii(plain));
      expect(nodeMfaCrypto.base32Decode(padded)).toEqual(ascii(plain));
    });
  }

  it('refuses lower case, foreign letters, non-zero trailing bits and bad padding', () => {
    expect(nodeMfaCrypto.base32Decode('mzxw6')).toBeUndefined();
    expect(nodeMfaCrypto.base32Decode('MZXW1')).toBeUndefined();
    expect(nodeMfaCrypto.base32Decode('MZXW6YR')).toBeUndefined(); // 'R' leaves non-zero padding bits
    expect(nodeMfaCrypto.base32Decode('MZXW6Y==')).toBeUndefined();
    expect(nodeMfaCrypto.base32Decode('M')).toBeUndefined();
  });
});

describe('HMAC', () => {
  it('RFC 2202 §3 test case 2 (HMAC-SHA1, key "Jefe")', async () => {
    expect(hex(await nodeMfaCrypto.hmac('SHA1', ascii('Jefe'), ascii('what do ya want for nothing?')))).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  });

  it('RFC 4231 §4.3 test case 2 (HMAC-SHA256 and HMAC-SHA512, key "Jefe")', async () => {
    const msg = ascii('what do ya want for nothing?');
    expect(hex(await nodeMfaCrypto.hmac('SHA256', ascii('Jefe'), msg))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hex(await nodeMfaCrypto.hmac('SHA512', ascii('Jefe'), msg))).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    );
  });

  it('refuses an algorithm outside the closed set', async () => {
    await expect(nodeMfaCrypto.hmac('MD5' as never, ascii('k'), ascii('m'))).rejects.toThrow(TypeError);
  });
});

describe('equal', () => {
  it('is true only for equal bytes of equal length', () => {
    expect(nodeMfaCrypto.equal(ascii('123456'), ascii('123456'))).toBe(true);
    expect(nodeMfaCrypto.equal(ascii('123456'), ascii('123457'))).toBe(false);
    expect(nodeMfaCrypto.equal(ascii('123456'), ascii('1234567'))).toBe(false);
    expect(nodeMfaCrypto.equal(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
