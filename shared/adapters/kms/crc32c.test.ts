import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.ts';

describe('crc32c', () => {
  // RFC 3720 (iSCSI) §B.4 CRC32C examples, and the classic "123456789" check value.
  it('matches the check value 0xE3069283 for "123456789"', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
  it('matches RFC 3720 §B.4: 32 bytes of zeros, of ones, incrementing and decrementing', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });
  it('is 0 for no bytes and changes with one flipped bit', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const a = new TextEncoder().encode('signature');
    const b = Uint8Array.from(a);
    b[0] = (b[0] as number) ^ 1;
    expect(crc32c(a)).not.toBe(crc32c(b));
  });
});
