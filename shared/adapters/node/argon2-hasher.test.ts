import { describe, expect, it } from 'vitest';
import { decodeStoredHash } from './argon2-hasher-phc.ts';
import { OWASP_ARGON2ID, PasswordHashFormatError, argon2Raw, createArgon2Hasher } from './argon2-hasher.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const PEPPER_A = { id: 'a1', secret: new Uint8Array(32).fill(7) };
const PEPPER_B = { id: 'b2', secret: new Uint8Array(32).fill(9) };
/** Next year's parameters: what a bump of hash_version to 2 would bring. */
const STRONGER = { memoryKiB: 24_576, passes: 3, parallelism: 1 };

describe('RFC 9106 §5.3 Argon2id test vector', () => {
  it('is reproduced by the native crypto.argon2 with secret and associated data', async () => {
    const tag = await argon2Raw('argon2id', {
      message: new Uint8Array(32).fill(0x01),
      nonce: new Uint8Array(16).fill(0x02),
      secret: new Uint8Array(8).fill(0x03),
      associatedData: new Uint8Array(12).fill(0x04),
      memoryKiB: 32,
      passes: 3,
      parallelism: 4,
      tagLength: 32,
    });
    expect(hex(tag)).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });
});

describe('createArgon2Hasher: plain PHC strings', () => {
  const hasher = createArgon2Hasher({ version: 1 });

  it('writes a standard PHC string at the OWASP parameters with a 16-byte salt and 32-byte hash', async () => {
    const phc = await hasher.hash('correct horse battery staple');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(hasher.version).toBe(1);
    expect(hasher.params).toEqual(OWASP_ARGON2ID);
  });

  it('salts every hash: the same password hashes differently twice', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('verifies the right password and refuses a wrong one, and one differing in case or a trailing space', async () => {
    const phc = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(phc, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(phc, 'correct horse battery stapl')).toBe(false);
    expect(await hasher.verify(phc, 'Correct horse battery staple')).toBe(false);
    expect(await hasher.verify(phc, 'correct horse battery staple ')).toBe(false);
  });

  it('refuses a hash whose last byte was changed', async () => {
    const phc = await hasher.hash('pw-pw-pw-pw-pw');
    const stored = decodeStoredHash(phc);
    const flipped = phc.slice(0, phc.lastIndexOf('$') + 1) + Buffer.from(stored.hash.map((b, i) => (i === 31 ? b ^ 1 : b))).toString('base64').replace(/=+$/, '');
    expect(await hasher.verify(flipped, 'pw-pw-pw-pw-pw')).toBe(false);
  });

  it('NFKC-normalises: a full-width or decomposed spelling verifies against the plain one', async () => {
    const phc = await hasher.hash('passwort-\u00e9t\u00e9');
    expect(await hasher.verify(phc, 'ｐａｓｓｗｏｒｔ-e\u0301te\u0301')).toBe(true);
  });

  it('says a current hash needs no rehash', async () => {
    expect(hasher.needsRehash(await hasher.hash('x'.repeat(12)))).toBe(false);
  });

  it('says hashes at other parameters, another variant or another tag length need a rehash', () => {
    const salt = 'c29tZXNhbHRzb21lc2FsdA';
    const h32 = 'A'.repeat(43);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=2,p=1$${salt}$${h32}`)).toBe(false);
    expect(hasher.needsRehash(`$argon2id$v=19$m=4096,t=3,p=1$${salt}$${h32}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=2,p=2$${salt}$${h32}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2i$v=19$m=19456,t=2,p=1$${salt}$${h32}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=2,p=1$${salt}$${'A'.repeat(22)}`)).toBe(true);
  });

  it('after a parameter bump (hash_version 2), old hashes still verify and need a rehash', async () => {
    const old = await hasher.hash('password for the ages');
    const next = createArgon2Hasher({ version: 2, params: STRONGER });
    expect(await next.verify(old, 'password for the ages')).toBe(true);
    expect(next.needsRehash(old)).toBe(true);
    const fresh = await next.hash('password for the ages');
    expect(fresh).toContain('$m=24576,t=3,p=1$');
    expect(next.needsRehash(fresh)).toBe(false);
  });

  it('refuses current parameters below the OWASP minimum, and a bad hash_version', () => {
    expect(() => createArgon2Hasher({ version: 1, params: { memoryKiB: 19_455, passes: 2, parallelism: 1 } })).toThrow(/OWASP/);
    expect(() => createArgon2Hasher({ version: 1, params: { memoryKiB: 65_536, passes: 1, parallelism: 1 } })).toThrow(/OWASP/);
    expect(() => createArgon2Hasher({ version: 1, params: { memoryKiB: 19_456, passes: 2, parallelism: 0 } })).toThrow(/OWASP/);
    expect(() => createArgon2Hasher({ version: 1, params: { memoryKiB: 19_456.5, passes: 2, parallelism: 1 } })).toThrow(/integer/);
    expect(() => createArgon2Hasher({ version: 0 })).toThrow(/hash_version/);
  });
});

describe('createArgon2Hasher: pepper', () => {
  it('records the pepper id as keyid and verifies only with that pepper', async () => {
    const peppered = createArgon2Hasher({ version: 1, pepper: PEPPER_A });
    const phc = await peppered.hash('peppered password');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1,keyid=a1\$/);
    expect(await peppered.verify(phc, 'peppered password')).toBe(true);
    expect(await peppered.verify(phc, 'peppered passwore')).toBe(false);
    // The same secret under another id is a different pepper: the hash names a1.
    const wrongSecret = createArgon2Hasher({ version: 1, pepper: { id: 'a1', secret: PEPPER_B.secret } });
    expect(await wrongSecret.verify(phc, 'peppered password')).toBe(false);
  });

  it('throws (a deployment error, not a wrong password) when a hash names a pepper we lack', async () => {
    const phc = await createArgon2Hasher({ version: 1, pepper: PEPPER_A }).hash('peppered password');
    await expect(createArgon2Hasher({ version: 1 }).verify(phc, 'peppered password')).rejects.toThrow(/pepper "a1" is not configured/);
  });

  it('rotates: a retired pepper still verifies, and its hashes need a rehash', async () => {
    const old = await createArgon2Hasher({ version: 1, pepper: PEPPER_A }).hash('rotating pepper');
    const rotated = createArgon2Hasher({ version: 2, pepper: PEPPER_B, retiredPeppers: [PEPPER_A] });
    expect(await rotated.verify(old, 'rotating pepper')).toBe(true);
    expect(rotated.needsRehash(old)).toBe(true);
    expect(rotated.needsRehash(await rotated.hash('rotating pepper'))).toBe(false);
  });

  it('treats an unpeppered hash as outdated once a pepper is configured', async () => {
    const plain = await createArgon2Hasher({ version: 1 }).hash('no pepper yet');
    const peppered = createArgon2Hasher({ version: 2, pepper: PEPPER_A });
    expect(await peppered.verify(plain, 'no pepper yet')).toBe(true);
    expect(peppered.needsRehash(plain)).toBe(true);
  });

  it('refuses a short pepper or a pepper id outside the PHC alphabet', () => {
    expect(() => createArgon2Hasher({ version: 1, pepper: { id: 'a1', secret: new Uint8Array(8) } })).toThrow(/16 bytes/);
    expect(() => createArgon2Hasher({ version: 1, pepper: { id: 'a_1', secret: PEPPER_A.secret } })).toThrow(/pepper id/);
  });
});

describe('createArgon2Hasher: the wrapped form, argon2id(old_hash) (R-16)', () => {
  const v1 = createArgon2Hasher({ version: 1 });
  const v2 = createArgon2Hasher({ version: 2, params: STRONGER });

  it('wraps an outdated hash without the password into a marked, versioned string', async () => {
    const old = await v1.hash('inactive user password');
    const wrapped = await v2.wrap(old);
    expect(wrapped).toMatch(/^\$argon2id-wrap\$v=19\$hv=2,m=24576,t=3,p=1,in=argon2id-19456-2-1-32-[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The old hash itself is gone: only its salt and parameters remain.
    const oldHash = old.slice(old.lastIndexOf('$') + 1);
    expect(wrapped).not.toContain(oldHash);
    expect(wrapped).toContain(old.split('$')[4]);
  });

  it('verifies the right password through both layers and refuses a wrong one', async () => {
    const wrapped = await v2.wrap(await v1.hash('inactive user password'));
    expect(await v2.verify(wrapped, 'inactive user password')).toBe(true);
    expect(await v2.verify(wrapped, 'inactive user passwore')).toBe(false);
  });

  it('computes exactly argon2id(new salt, old tag) for the outer layer', async () => {
    const old = await v1.hash('check the chain');
    const wrapped = await v2.wrap(old);
    const inner = decodeStoredHash(old);
    const outer = decodeStoredHash(wrapped);
    const outerLayer = outer.layers[1];
    if (outerLayer === undefined) throw new Error('no outer layer');
    const expected = await argon2Raw('argon2id', { message: inner.hash, nonce: outerLayer.salt, ...STRONGER, tagLength: 32 });
    expect(hex(outer.hash)).toBe(hex(expected));
    expect(outer.hashVersion).toBe(2);
  });

  it('always needs a rehash, so the next login stores a plain current hash', async () => {
    const wrapped = await v2.wrap(await v1.hash('inactive user password'));
    expect(v2.needsRehash(wrapped)).toBe(true);
  });

  it('leaves a hash whose outer layer is current unchanged (idempotent job)', async () => {
    const current = await v2.hash('already current');
    expect(await v2.wrap(current)).toBe(current);
    const wrapped = await v2.wrap(await v1.hash('wrapped once'));
    expect(await v2.wrap(wrapped)).toBe(wrapped);
  });

  it('wraps a wrapped hash again after another bump, and the three-layer chain verifies', async () => {
    const v3 = createArgon2Hasher({ version: 3, params: { memoryKiB: 32_768, passes: 2, parallelism: 1 }, pepper: PEPPER_A });
    const twice = await v3.wrap(await v2.wrap(await v1.hash('dormant for years')));
    expect(twice).toMatch(/^\$argon2id-wrap\$v=19\$hv=3,m=32768,t=2,p=1,keyid=a1,in=argon2id-19456-2-1-32-[^.]+\.argon2id-24576-3-1-32-[^$]+\$/);
    expect(decodeStoredHash(twice).layers).toHaveLength(3);
    expect(await v3.verify(twice, 'dormant for years')).toBe(true);
    expect(await v3.verify(twice, 'dormant for year')).toBe(false);
  });

  it('keeps an inner layer\'s pepper id, which verify needs', async () => {
    const pepperedOld = await createArgon2Hasher({ version: 1, pepper: PEPPER_A }).hash('inner pepper');
    const v2b = createArgon2Hasher({ version: 2, params: STRONGER, pepper: PEPPER_B, retiredPeppers: [PEPPER_A] });
    const wrapped = await v2b.wrap(pepperedOld);
    expect(wrapped).toMatch(/in=argon2id-19456-2-1-32-[A-Za-z0-9+/]{22}-a1\$/);
    expect(wrapped).toContain(',keyid=b2,');
    expect(await v2b.verify(wrapped, 'inner pepper')).toBe(true);
    await expect(createArgon2Hasher({ version: 2, params: STRONGER, pepper: PEPPER_B }).verify(wrapped, 'inner pepper')).rejects.toThrow(/pepper "a1"/);
  });
});

describe('createArgon2Hasher: dummyVerify (unknown users cost the same)', () => {
  const hasher = createArgon2Hasher({ version: 1 });

  it('always answers false', async () => {
    expect(await hasher.dummyVerify('anything at all')).toBe(false);
    expect(await hasher.dummyVerify('')).toBe(false);
  });

  it('does the work of one verify at the current parameters (median of interleaved runs)', async () => {
    const phc = await hasher.hash('a real password');
    const verifyMs: number[] = [];
    const dummyMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      await hasher.verify(phc, 'a wrong password');
      verifyMs.push(performance.now() - t);
      t = performance.now();
      await hasher.dummyVerify('a wrong password');
      dummyMs.push(performance.now() - t);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2] ?? 0;
    const ratio = median(dummyMs) / median(verifyMs);
    // Loose bounds: the machine is shared; a dummy that skipped Argon2 would be ~0.001.
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });
});

describe('decodeStoredHash rejects what is not a hash we wrote', () => {
  const hasher = createArgon2Hasher({ version: 1 });
  const salt = 'c29tZXNhbHRzb21lc2FsdA';
  const hash = 'A'.repeat(43);
  it.each([
    ['empty', ''],
    ['bcrypt', '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'],
    ['Argon2 version 16', `$argon2id$v=16$m=19456,t=2,p=1$${salt}$${hash}`],
    ['no version', `$argon2id$m=19456,t=2,p=1$${salt}$${hash}`],
    ['missing parameter', `$argon2id$v=19$m=19456,t=2$${salt}$${hash}`],
    ['repeated parameter', `$argon2id$v=19$m=19456,t=2,p=1,p=1$${salt}$${hash}`],
    ['unknown parameter', `$argon2id$v=19$m=19456,t=2,p=1,x=1$${salt}$${hash}`],
    ['associated data', `$argon2id$v=19$m=19456,t=2,p=1,data=YWJj$${salt}$${hash}`],
    ['leading zero', `$argon2id$v=19$m=019456,t=2,p=1$${salt}$${hash}`],
    ['absurd memory', `$argon2id$v=19$m=99999999,t=2,p=1$${salt}$${hash}`],
    ['zero passes', `$argon2id$v=19$m=19456,t=0,p=1$${salt}$${hash}`],
    ['padded base64', `$argon2id$v=19$m=19456,t=2,p=1$${salt}==$${hash}`],
    ['url-safe base64', `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${'_'.repeat(43)}`],
    ['short salt', `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$${hash}`],
    ['no hash', `$argon2id$v=19$m=19456,t=2,p=1$${salt}`],
    ['wrap without layers', `$argon2id-wrap$v=19$hv=2,m=19456,t=2,p=1$${salt}$${hash}`],
    ['wrap with a bad layer', `$argon2id-wrap$v=19$hv=2,m=19456,t=2,p=1,in=argon2id-19456-2-1-32$${salt}$${hash}`],
    ['wrap with a bad layer algorithm', `$argon2id-wrap$v=19$hv=2,m=19456,t=2,p=1,in=scrypt-19456-2-1-32-${salt}$${salt}$${hash}`],
    ['wrap without hv', `$argon2id-wrap$v=19$m=19456,t=2,p=1,in=argon2id-19456-2-1-32-${salt}$${salt}$${hash}`],
  ])('throws PasswordHashFormatError for %s', async (_name, phc) => {
    expect(() => decodeStoredHash(phc)).toThrow(PasswordHashFormatError);
    expect(() => hasher.needsRehash(phc)).toThrow(PasswordHashFormatError);
    await expect(hasher.verify(phc, 'pw')).rejects.toThrow(PasswordHashFormatError);
  });
});
