import { describe, expect, it } from 'vitest';
import { nodeMfaCrypto } from '../../adapters/crypto/mfa-crypto.ts';
import type { HmacAlgorithm } from '../ports.ts';
import { hotp, isTotpCode, matchTotp, otpauthUri, timeStep, totpAt, type TotpParams } from './totp.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The RFC 6238 Appendix B seeds: '12345678901234567890' repeated to 20, 32 and 64 bytes. */
const SEED: Readonly<Record<HmacAlgorithm, Uint8Array>> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};

describe('RFC 6238 Appendix B test vectors (8 digits, X = 30, T0 = 0)', () => {
  // Time (sec) | T (hex) | TOTP | Mode, copied from the RFC's table.
  const table: readonly (readonly [number, string, string, HmacAlgorithm])[] = [
    [59, '0000000000000001', '94287082', 'SHA1'],
    [59, '0000000000000001', '46119246', 'SHA256'],
    [59, '0000000000000001', '90693936', 'SHA512'],
    [1111111109, '00000000023523EC', '07081804', 'SHA1'],
    [1111111109, '00000000023523EC', '68084774', 'SHA256'],
    [1111111109, '00000000023523EC', '25091201', 'SHA512'],
    [1111111111, '00000000023523ED', '14050471', 'SHA1'],
    [1111111111, '00000000023523ED', '67062674', 'SHA256'],
    [1111111111, '00000000023523ED', '99943326', 'SHA512'],
    [1234567890, '000000000273EF07', '89005924', 'SHA1'],
    [1234567890, '000000000273EF07', '91819424', 'SHA256'],
    [1234567890, '000000000273EF07', '93441116', 'SHA512'],
    [2000000000, '0000000003F940AA', '69279037', 'SHA1'],
    [2000000000, '0000000003F940AA', '90698825', 'SHA256'],
    [2000000000, '0000000003F940AA', '38618901', 'SHA512'],
    [20000000000, '0000000027BC86AA', '65353130', 'SHA1'],
    [20000000000, '0000000027BC86AA', '77737706', 'SHA256'],
    [20000000000, '0000000027BC86AA', '47863826', 'SHA512'],
  ];

  it('uses seeds of 20, 32 and 64 bytes', () => {
    expect([SEED.SHA1.length, SEED.SHA256.length, SEED.SHA512.length]).toEqual([20, 32, 64]);
  });

  for (const [time, hexT, code, alg] of table) {
    it(`${alg} at ${time}s: T = ${hexT}, TOTP = ${code}`, async () => {
      expect(timeStep(time * 1000).toString(16).toUpperCase().padStart(16, '0')).toBe(hexT);
      const p: TotpParams = { algorithm: alg, key: SEED[alg], digits: 8, period: 30 };
      expect(await totpAt(nodeMfaCrypto, p, time * 1000)).toBe(code);
      // The same code is accepted by the verifier at that time (8-digit parameters).
      expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, code, time * 1000)).toEqual({ kind: 'match', step: parseInt(hexT, 16) });
    });
  }
});

describe('RFC 4226 Appendix D test values (HOTP, SHA1, 6 digits)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  for (const [count, code] of expected.entries()) {
    it(`count ${count} -> ${code}`, async () => {
      expect(await hotp(nodeMfaCrypto, { algorithm: 'SHA1', key: SEED.SHA1, digits: 6, counter: count })).toBe(code);
    });
  }

  it('refuses fewer than 6 or more than 8 digits, and a negative or unsafe counter', async () => {
    await expect(hotp(nodeMfaCrypto, { algorithm: 'SHA1', key: SEED.SHA1, digits: 5, counter: 0 })).rejects.toThrow(RangeError);
    await expect(hotp(nodeMfaCrypto, { algorithm: 'SHA1', key: SEED.SHA1, digits: 9, counter: 0 })).rejects.toThrow(RangeError);
    await expect(hotp(nodeMfaCrypto, { algorithm: 'SHA1', key: SEED.SHA1, digits: 6, counter: -1 })).rejects.toThrow(RangeError);
    await expect(hotp(nodeMfaCrypto, { algorithm: 'SHA1', key: SEED.SHA1, digits: 6, counter: 2 ** 53 })).rejects.toThrow(RangeError);
  });
});

describe('matchTotp: the ±1 step window and replay', () => {
  const p = { algorithm: 'SHA1' as const, key: SEED.SHA1, digits: 6, period: 30 };
  const t = 1_111_111_111_000; // step 37037037, 1 s into... 1111111111 % 30 = 1
  const step = timeStep(t);
  const codeOf = (s: number): Promise<string> => hotp(nodeMfaCrypto, { ...p, counter: s });

  it('accepts the codes of T-1, T and T+1 and names the step', async () => {
    for (const s of [step - 1, step, step + 1]) {
      expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, await codeOf(s), t)).toEqual({ kind: 'match', step: s });
    }
  });

  it('refuses T-2 and T+2', async () => {
    for (const s of [step - 2, step + 2]) {
      expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, await codeOf(s), t)).toEqual({ kind: 'invalid_code' });
    }
  });

  it('refuses any step at or below the last used one as a replay, and accepts a later one', async () => {
    const lastUsedStep = step;
    expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep }, await codeOf(step), t)).toEqual({ kind: 'replayed', step });
    expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep }, await codeOf(step - 1), t)).toEqual({ kind: 'replayed', step: step - 1 });
    expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep }, await codeOf(step + 1), t)).toEqual({ kind: 'match', step: step + 1 });
    // A last used step ahead of the window (a code of T+1 accepted earlier) refuses all of T-1..T+1.
    for (const s of [step - 1, step, step + 1]) {
      expect((await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: step + 1 }, await codeOf(s), t)).kind).toBe('replayed');
    }
  });

  it('refuses a code of the right form that matches no step, and another secret\'s code', async () => {
    const right = await codeOf(step);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, wrong, t)).toEqual({ kind: 'invalid_code' });
    const other = await hotp(nodeMfaCrypto, { ...p, key: SEED.SHA256.slice(0, 20).reverse(), counter: step });
    if (other !== right) expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, other, t)).toEqual({ kind: 'invalid_code' });
  });

  it('at the epoch (T = 0) checks only T and T+1', async () => {
    expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, await codeOf(0), 0)).toEqual({ kind: 'match', step: 0 });
    expect(await matchTotp(nodeMfaCrypto, { ...p, lastUsedStep: null }, await codeOf(1), 0)).toEqual({ kind: 'match', step: 1 });
  });

  it('compares every candidate in constant time, whatever matches (no early exit)', async () => {
    let compared = 0;
    const counting = { ...nodeMfaCrypto, equal: (a: Uint8Array, b: Uint8Array) => (compared++, nodeMfaCrypto.equal(a, b)) };
    await matchTotp(counting, { ...p, lastUsedStep: null }, await codeOf(step - 1), t);
    expect(compared).toBe(3);
  });
});

describe('isTotpCode: exactly six ASCII digits', () => {
  it.each(['000000', '123456', '999999'])('accepts %s', (c) => expect(isTotpCode(c)).toBe(true));
  it.each(['', '12345', '1234567', '12345a', ' 123456', '123456 ', '123 456', '+12345', '-12345', '１２３４５６', '123456\n', '12.456', '٠١٢٣٤٥'])(
    'refuses %j',
    (c) => expect(isTotpCode(c)).toBe(false),
  );
});

describe('otpauthUri: the Key Uri Format', () => {
  const base = { issuer: 'Melmastoon', account: 'alice@example.com', secretBase32: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', algorithm: 'SHA1' as const, digits: 6, period: 30 };

  it('has the label issuer:account and every parameter', () => {
    const uri = otpauthUri(base);
    expect(uri).toBe(
      'otpauth://totp/Melmastoon:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Melmastoon&algorithm=SHA1&digits=6&period=30',
    );
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.searchParams.get('secret')).toBe(base.secretBase32);
    expect(parsed.searchParams.get('issuer')).toBe('Melmastoon');
  });

  it('percent-encodes spaces and non-ASCII in the issuer and the account', () => {
    const uri = otpauthUri({ ...base, issuer: 'Acme Co', account: 'zoë@example.com' });
    expect(uri).toContain('otpauth://totp/Acme%20Co:zo%C3%AB%40example.com?');
    expect(uri).toContain('&issuer=Acme%20Co&');
  });

  it('throws on a colon, an empty part, or a padded or lower-case secret (bugs of the caller)', () => {
    expect(() => otpauthUri({ ...base, issuer: 'A:B' })).toThrow(TypeError);
    expect(() => otpauthUri({ ...base, account: 'a:b@example.com' })).toThrow(TypeError);
    expect(() => otpauthUri({ ...base, issuer: '' })).toThrow(TypeError);
    expect(() => otpauthUri({ ...base, secretBase32: 'GEZDGNBV====' })).toThrow(TypeError);
    expect(() => otpauthUri({ ...base, secretBase32: 'gezdgnbv' })).toThrow(TypeError);
  });
});
