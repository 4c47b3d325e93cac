import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DerSignatureError, derToP1363 } from './der.ts';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ecKey = (x: string, y: string) => createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
const p1363Verifies = (key: ReturnType<typeof ecKey>, data: Uint8Array, sig: Uint8Array): boolean =>
  verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);

// RFC 7515 Appendix A.3: the ES256 example. Its r||s, written as DER; s has its high bit set (33-byte INTEGER).
const A3_KEY = ecKey('f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0');
const A3_INPUT = new TextEncoder().encode(
  'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ',
);
const A3_P1363 = Buffer.from('DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q', 'base64url');
const A3_DER =
  '304502200ed1215379636c483c2f7f155807d402a3b228033af97c7e17819ac3169ea665' +
  '022100c50a07d38c3c70e5d8f12daf084a5480a66590c5f293509a8f3f7f8a83a354d5';

// Real OpenSSL signatures under one key, picked for short integers.
const KEY = ecKey('v8BYGC4uBRJ5fGbdvwqFnS4otMpj9fYf6fHKC1KceBU', 'wG4KPmolfYdJHUk_y4fBsHHyeTkrwb5mVhPQwcCorXk');
const SHORT_R = {
  message: 'm217', // r is 31 bytes
  der: '3043021f12b732091f8931ec8b0c6b0f29156533de6dc9d024ae0b0873406de6a2dbd002204b12be0464540c9f93efe3ed9e7ef7e9856ff9f15ccdfa1d226c5a4eb22a1602',
};
const SHORT_S = {
  message: 'm441', // r is 33 bytes (leading zero), s is 31 bytes
  der: '3044022100f07a60ae8c43357980bf9493ddc033fc78244ccd3f7044eda0dbe714089360c5021f4dd844a8c00d496955ec9da40cf09a39cfb8d3324bcea1a525ad43e155b603',
};

// Wycheproof ecdsa_secp256r1_sha256_test.json (testvectors_v1), tcId 1: valid, empty message.
const WYCHEPROOF_TC1 = {
  key: ecKey(
    Buffer.from('04aaec73635726f213fb8a9e64da3b8632e41495a944d0045b522eba7240fad5', 'hex').toString('base64url'),
    Buffer.from('87d9315798aaa3a5ba01775787ced05eaaf7b4e09fc81d6d1aa546e8365d525d', 'hex').toString('base64url'),
  ),
  der: '3045022100b292a619339f6e567a305c951c0dcbcc42d16e47f219f9e98e76e09d8770b34a02200177e60492c5a8242f76f07bfe3661bde59ec2a17ce5bd2dab2abebdf89a62e2',
};
// Wycheproof ecdsa_secp256r1_sha256_test.json, "Legacy: ASN encoding of s misses leading 0" (message "123400"):
// s is encoded as a negative INTEGER. Lenient parsers accept it; DER does not.
const WYCHEPROOF_S_MISSES_LEADING_ZERO =
  '304402202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e180220b329f479a2bbd0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db';

describe('derToP1363', () => {
  it('RFC 7515 A.3: the DER form of the example signature converts to its r||s, which verifies', () => {
    expect(verify('sha256', A3_INPUT, A3_KEY, hex(A3_DER))).toBe(true); // the DER vector is right
    const p1363 = derToP1363(hex(A3_DER));
    expect(toHex(p1363)).toBe(A3_P1363.toString('hex'));
    expect(p1363Verifies(A3_KEY, A3_INPUT, p1363)).toBe(true);
  });

  it('left-pads a short r (31 bytes) and strips a 33-byte r’s leading zero next to a short s', () => {
    for (const { message, der } of [SHORT_R, SHORT_S]) {
      const data = new TextEncoder().encode(message);
      expect(verify('sha256', data, KEY, hex(der))).toBe(true);
      const p1363 = derToP1363(hex(der));
      expect(p1363.length).toBe(64);
      expect(p1363Verifies(KEY, data, p1363)).toBe(true);
    }
    expect(derToP1363(hex(SHORT_R.der))[0]).toBe(0); // r padded on the left
    expect(derToP1363(hex(SHORT_S.der))[32]).toBe(0); // s padded on the left
  });

  it('Wycheproof tcId 1 (valid) converts to a signature node verifies as ieee-p1363', () => {
    expect(p1363Verifies(WYCHEPROOF_TC1.key, new Uint8Array(0), derToP1363(hex(WYCHEPROOF_TC1.der)))).toBe(true);
  });

  it('agrees with OpenSSL on 300 fresh signatures', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 300; i++) {
      const data = new TextEncoder().encode(`message ${i}`);
      const p1363 = derToP1363(new Uint8Array(sign('sha256', data, privateKey)));
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, p1363)).toBe(true);
    }
  });

  it.each([
    ['Wycheproof: s misses its leading zero (negative INTEGER)', WYCHEPROOF_S_MISSES_LEADING_ZERO, /s is negative/],
    ['empty', '', /too short/],
    ['not a SEQUENCE', '3106020101020101', /not a SEQUENCE/],
    ['long-form length', '308106020101020101', /long-form/],
    ['length larger than the bytes', '3007020101020101', /does not match/],
    ['trailing bytes after the SEQUENCE', '300602010102010100', /does not match/],
    ['trailing bytes inside the SEQUENCE', '30080201010201010500', /trailing bytes/],
    ['r not an INTEGER', '3006040101020101', /r is not an INTEGER/],
    ['zero-length r', '3006020002020101', /r has a bad length/],
    ['r with a redundant leading zero', '300702020001020101', /r is not minimally encoded/],
    ['r zero', '3006020100020101', /r is zero/],
    ['s runs past the end', '3006020101020201', /s runs past the end/],
    ['r of 33 significant bytes', `3026022101${'11'.repeat(32)}020101`, /r is longer than 32 bytes/],
    ['r equal to the group order n', '30260221' + '00ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551' + '020101', /not below the group order/],
  ])('refuses %s', (_, der, message) => {
    expect(() => derToP1363(hex(der))).toThrow(DerSignatureError);
    expect(() => derToP1363(hex(der))).toThrow(message);
  });
});
