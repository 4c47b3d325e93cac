import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cryptoRandom } from '../../adapters/local/clock.ts';
import { hashOpaqueToken, issueOpaqueToken, parseOpaqueToken } from './opaque-token.ts';

describe('opaque tokens', () => {
  it('are <kind>.<tenant>.<256 random bits>, stored as base64url SHA-256 of the whole string', async () => {
    const { token, hash } = await issueOpaqueToken(cryptoRandom, 'rt', 'acme');
    expect(token).toMatch(/^rt\.acme\.[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(await hashOpaqueToken(token)).toBe(hash);
    expect((await issueOpaqueToken(cryptoRandom, 'rt', 'acme')).token).not.toBe(token);
  });

  it('parse returns the tenant for the right kind only', async () => {
    const { token } = await issueOpaqueToken(cryptoRandom, 'ml', 'acme-2');
    expect(parseOpaqueToken(token, 'ml')).toEqual({ tenantId: 'acme-2' });
    expect(parseOpaqueToken(token, 'rt')).toBeUndefined();
    expect(parseOpaqueToken(token, 'mfa')).toBeUndefined();
  });

  it.each(['', 'ml', 'ml.acme', 'ml.acme.short', 'ml.ACME.' + 'a'.repeat(43), 'ml.-acme.' + 'a'.repeat(43), 'ml.acme.' + 'a'.repeat(44), 'ml.acme.' + 'a'.repeat(42) + '=', 'xx.acme.' + 'a'.repeat(43), ' ml.acme.' + 'a'.repeat(43)])(
    'refuses %j',
    (bad) => {
      expect(parseOpaqueToken(bad, 'ml')).toBeUndefined();
    },
  );

  it('refuses a Random that returns the wrong length', async () => {
    await expect(issueOpaqueToken({ bytes: () => new Uint8Array(16), uuid: () => 'x' }, 'rt', 'acme')).rejects.toThrow(/16 bytes/);
  });
});
