import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_POLICY,
  MAX_PASSWORD_BYTES,
  checkPassword,
  effectiveMinLength,
  normalizePassword,
  utf8Length,
} from './password-rules.ts';

describe('checkPassword (NIST SP 800-63B)', () => {
  it('accepts a password of exactly the default minimum, 12 characters', () => {
    expect(checkPassword('abcdefghijkl')).toEqual({ kind: 'ok', password: 'abcdefghijkl' });
  });

  it('refuses 11 characters under the default policy with the numbers a client can show', () => {
    expect(checkPassword('abcdefghijk')).toEqual({ kind: 'too_short', min_length: 12, length: 11 });
  });

  it('imposes no composition rules: all lower-case letters, all digits or spaces are fine', () => {
    expect(checkPassword('correct horse battery staple').kind).toBe('ok');
    expect(checkPassword('000000000000').kind).toBe('ok');
    expect(checkPassword('            ').kind).toBe('ok');
  });

  it('follows the tenant minimum but never goes below the floor of 8', () => {
    expect(checkPassword('abcdefgh', { min_length: 8 }).kind).toBe('ok');
    expect(checkPassword('abcdefg', { min_length: 4 })).toEqual({ kind: 'too_short', min_length: 8, length: 7 });
    expect(checkPassword('a'.repeat(19), { min_length: 20 })).toMatchObject({ kind: 'too_short', min_length: 20 });
    expect(effectiveMinLength({ min_length: 0 })).toBe(8);
  });

  it('counts Unicode code points, not UTF-16 units or bytes (SP 800-63B-4)', () => {
    // 12 emoji: 24 UTF-16 units, 48 bytes, 12 characters.
    const emoji = '😀'.repeat(12);
    expect(checkPassword(emoji).kind).toBe('ok');
    expect(checkPassword('😀'.repeat(11))).toEqual({ kind: 'too_short', min_length: 12, length: 11 });
  });

  it('allows a passphrase of exactly 1024 UTF-8 bytes and refuses 1025 as too_long', () => {
    expect(checkPassword('a'.repeat(MAX_PASSWORD_BYTES)).kind).toBe('ok');
    expect(checkPassword('a'.repeat(MAX_PASSWORD_BYTES + 1))).toEqual({ kind: 'too_long', max_bytes: 1024 });
  });

  it('measures the limit in bytes: 342 three-byte characters (1026 bytes) are too long', () => {
    const han = '漢'.repeat(342);
    expect(han.length).toBe(342);
    expect(checkPassword(han).kind).toBe('too_long');
    expect(checkPassword('漢'.repeat(341)).kind).toBe('ok');
  });

  it('measures the limit after NFKC, so a character that expands counts as what is hashed', () => {
    // U+FDFA expands to 18 characters (33 bytes) under NFKC.
    const raw = '\uFDFA'.repeat(32);
    expect(utf8Length(raw)).toBe(96);
    expect(checkPassword(raw).kind).toBe('too_long');
  });

  it('refuses a huge raw input without normalising it', () => {
    expect(checkPassword('a'.repeat(1_000_000)).kind).toBe('too_long');
  });

  it('refuses ill-formed UTF-16 (a lone surrogate) as malformed', () => {
    expect(checkPassword('abcdefghijkl\uD800')).toEqual({ kind: 'malformed' });
  });

  it('returns the NFKC form, which is what must be hashed', () => {
    const r = checkPassword('ｐａｓｓｗｏｒｄｐａｓｓ');
    expect(r).toEqual({ kind: 'ok', password: 'passwordpass' });
  });

  it('uses 12 as the default policy', () => {
    expect(DEFAULT_PASSWORD_POLICY.min_length).toBe(12);
  });
});

describe('normalizePassword', () => {
  it('maps composed and decomposed forms to the same string', () => {
    expect(normalizePassword('e\u0301te\u0301')).toBe(normalizePassword('\u00e9t\u00e9'));
    expect(normalizePassword('e\u0301')).toBe('\u00e9');
  });

  it('folds compatibility characters (full-width, ligatures)', () => {
    expect(normalizePassword('ＡＢＣ')).toBe('ABC');
    expect(normalizePassword('\uFB01')).toBe('fi');
  });

  it('does not trim, case-fold or truncate', () => {
    expect(normalizePassword('  Pass  ')).toBe('  Pass  ');
    expect(normalizePassword('x'.repeat(5000))).toHaveLength(5000);
  });

  it('is idempotent', () => {
    const once = normalizePassword('ｶﾞ\uFDFA');
    expect(normalizePassword(once)).toBe(once);
  });

  it('makes lone surrogates well-formed so encoding is total', () => {
    expect(normalizePassword('a\uD800')).toBe('a\uFFFD');
  });
});
