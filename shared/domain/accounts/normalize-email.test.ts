import { describe, expect, it } from 'vitest';
import { normalizeEmail } from './normalize-email.ts';

const ok = (email: string) => ({ kind: 'ok', email });
const bad = (reason: string) => ({ kind: 'invalid', reason });

describe('normalizeEmail', () => {
  it('trims and lower-cases the whole address', () => {
    expect(normalizeEmail('  Bob.Smith@Example.COM \n')).toEqual(ok('bob.smith@example.com'));
  });

  it('makes differently cased spellings one account', () => {
    const a = normalizeEmail('BOB@example.com');
    const b = normalizeEmail('bob@EXAMPLE.com');
    expect(a).toEqual(b);
  });

  it('applies NFKC: full-width letters and a full-width @ fold to ASCII', () => {
    expect(normalizeEmail('ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toEqual(ok('bob@example.com'));
  });

  it('maps an internationalised domain to its A-label form', () => {
    expect(normalizeEmail('anna@Bücher.de')).toEqual(ok('anna@xn--bcher-kva.de'));
    expect(normalizeEmail('anna@xn--bcher-kva.de')).toEqual(ok('anna@xn--bcher-kva.de'));
  });

  it('keeps a UTF-8 local part (RFC 6531), lower-cased and composed', () => {
    expect(normalizeEmail('JOSE\u0301@example.com')).toEqual(ok('josé@example.com'));
  });

  it('does not fold provider aliases (+tag, dots)', () => {
    expect(normalizeEmail('a.b+news@gmail.com')).toEqual(ok('a.b+news@gmail.com'));
  });

  it('uses the last @ so an @ in the local part is refused, not split wrongly', () => {
    expect(normalizeEmail('a@b@example.com')).toEqual(bad('bad_local_part'));
  });

  it('refuses an address without @', () => {
    expect(normalizeEmail('bob.example.com')).toEqual(bad('no_at_sign'));
  });

  it.each([
    ['@example.com'],
    ['.bob@example.com'],
    ['bob.@example.com'],
    ['bo..b@example.com'],
    ['bo b@example.com'],
    ['"bob"@example.com'],
    ['bob(comment)@example.com'],
    ['bo\u0000b@example.com'],
    ['bo\u200bb@example.com'],
    [`${'a'.repeat(65)}@example.com`],
  ])('refuses the local part of %j', (input) => {
    expect(normalizeEmail(input)).toEqual(bad('bad_local_part'));
  });

  it.each([
    ['bob@'],
    ['bob@localhost'],
    ['bob@example'],
    ['bob@example.com.'],
    ['bob@-example.com'],
    ['bob@example-.com'],
    ['bob@exa_mple.com'],
    ['bob@1.2.3.4'],
    ['bob@[1.2.3.4]'],
    ['bob@0x7f.1'],
    ['bob@example.com/path'],
    ['bob@example.com:25'],
    ['bob@exa mple.com'],
    ['bob@exa%41mple.com'],
    [`bob@${'a'.repeat(64)}.com`],
  ])('refuses the domain of %j', (input) => {
    expect(normalizeEmail(input)).toEqual(bad('bad_domain'));
  });

  it('accepts 64-octet local parts and refuses addresses over 254 bytes', () => {
    const local = 'a'.repeat(64);
    expect(normalizeEmail(`${local}@example.com`).kind).toBe('ok');
    const longDomain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;
    expect(normalizeEmail(`${local}@${longDomain}`)).toEqual(bad('too_long'));
    expect(normalizeEmail('a'.repeat(5000))).toEqual(bad('too_long'));
  });
});
