import { describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode, base64urlEncodeText } from './base64url.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base64url', () => {
  // RFC 4648 §10 test vectors, translated to the URL alphabet without padding.
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 §10: %j <-> %j', (plain, encoded) => {
    expect(base64urlEncode(bytes(plain))).toBe(encoded);
    expect(base64urlDecode(encoded)).toEqual(bytes(plain));
  });

  it('uses the URL alphabet (- and _) and agrees with node for every length up to 70', () => {
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    for (let n = 0; n <= 70; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 151 + n * 7) & 0xff);
      const node = Buffer.from(b).toString('base64url');
      expect(base64urlEncode(b)).toBe(node);
      expect(base64urlDecode(node)).toEqual(b);
    }
  });

  it('encodes text as UTF-8 (RFC 7515 A.3 protected header)', () => {
    expect(base64urlEncodeText('{"alg":"ES256"}')).toBe('eyJhbGciOiJFUzI1NiJ9');
    expect(base64urlEncodeText('é')).toBe('w6k');
  });

  it.each([
    ['padding', 'Zg=='],
    ['standard alphabet +', 'a+b'],
    ['standard alphabet /', 'a/b'],
    ['a dangling character', 'Zm9vY'],
    ['non-zero trailing bits', 'Zh'],
    ['whitespace', 'Zm 9v'],
  ])('refuses %s', (_, text) => {
    expect(base64urlDecode(text)).toBeUndefined();
  });
});
