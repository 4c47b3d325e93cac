/**
 * Our hashes against independent Argon2 implementations (SPEC section 6):
 * Debian's `argon2` CLI (the reference C implementation) and `python3-argon2`
 * (argon2-cffi over libargon2). `.ci/run` installs both; a missing one fails.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeStoredHash } from './argon2-hasher-phc.ts';
import { createArgon2Hasher } from './argon2-hasher.ts';

const PYTHON = '/usr/bin/python3';

/**
 * argon2-cffi helpers. `raw` goes through libargon2's argon2_ctx so it can
 * take a secret (pepper), which the high-level API does not expose.
 */
const PY_PRELUDE = String.raw`
import json, sys, base64
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerifyMismatchError
from argon2.low_level import ffi, lib, core
def buf(b):
    return (ffi.new("uint8_t[]", b), len(b)) if b else (ffi.NULL, 0)
def raw(pw, salt, t, m, p, l, secret=b"", typ=Type.ID):
    out = ffi.new("uint8_t[]", l)
    pwd, pwdlen = buf(pw); s, slen = buf(salt); k, klen = buf(secret)
    ctx = ffi.new("argon2_context *", dict(version=19, out=out, outlen=l, pwd=pwd, pwdlen=pwdlen,
        salt=s, saltlen=slen, secret=k, secretlen=klen, ad=ffi.NULL, adlen=0, t_cost=t, m_cost=m,
        lanes=p, threads=p, allocate_cbk=ffi.NULL, free_cbk=ffi.NULL, flags=lib.ARGON2_DEFAULT_FLAGS))
    rc = core(ctx, typ.value)
    if rc != 0: raise RuntimeError(rc)
    return bytes(ffi.buffer(out, l))
def unb64(s): return base64.b64decode(s + "=" * (-len(s) % 4))
args = json.load(sys.stdin)
`;

/** Runs a Python snippet with `args` on stdin; returns its stdout, trimmed. */
function python(body: string, args: Record<string, unknown>): string {
  const r = spawnSync(PYTHON, ['-c', PY_PRELUDE + body], { input: JSON.stringify(args), encoding: 'utf8' });
  if (r.error) throw new Error(`python3-argon2 is needed (apt-get install -y python3-argon2): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Runs the `argon2` CLI: `echo -n password | argon2 salt -id -t T -k KiB -p P -l 32 -e`. */
function cli(password: string, salt: string, extra: readonly string[]): string {
  const r = spawnSync('argon2', [salt, ...extra, '-e'], { input: password, encoding: 'utf8' });
  if (r.error) throw new Error(`the argon2 CLI is needed (apt-get install -y argon2): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`argon2 failed: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

const ASCII_SALT = 'saltsaltsaltsalt';
const fixedSalt = () => new Uint8Array(Buffer.from(ASCII_SALT));

describe('interop with argon2-cffi (python3-argon2)', () => {
  const hasher = createArgon2Hasher({ version: 1 });

  it('argon2-cffi verifies our PHC string, and rejects a wrong password', async () => {
    const phc = await hasher.hash('interop password 1');
    const out = python(
      `
ph = PasswordHasher()
ok = ph.verify(args["phc"], args["pw"])
try:
    ph.verify(args["phc"], args["wrong"]); bad = True
except VerifyMismatchError:
    bad = False
print(json.dumps([ok, bad]))`,
      { phc, pw: 'interop password 1', wrong: 'interop password 2' },
    );
    const [ok, bad] = JSON.parse(out) as [boolean, boolean];
    expect(ok).toBe(true);
    expect(bad).toBe(false);
  });

  it('we verify a hash argon2-cffi made at the OWASP parameters', async () => {
    const phc = python(`print(PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16).hash(args["pw"]))`, {
      pw: 'made in python',
    });
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(phc, 'made in python')).toBe(true);
    expect(await hasher.verify(phc, 'made in pythom')).toBe(false);
    expect(hasher.needsRehash(phc)).toBe(false);
  });

  it('we verify a legacy argon2i hash at other parameters, flag it for rehash, and wrap it', async () => {
    const phc = python(`print(PasswordHasher(time_cost=3, memory_cost=4096, parallelism=2, hash_len=24, type=Type.I).hash(args["pw"]))`, {
      pw: 'legacy user',
    });
    expect(phc).toMatch(/^\$argon2i\$v=19\$m=4096,t=3,p=2\$/);
    expect(await hasher.verify(phc, 'legacy user')).toBe(true);
    expect(hasher.needsRehash(phc)).toBe(true);
    const wrapped = await hasher.wrap(phc);
    expect(wrapped).toMatch(/in=argon2i-4096-3-2-24-/);
    expect(await hasher.verify(wrapped, 'legacy user')).toBe(true);
    expect(await hasher.verify(wrapped, 'legacy usr')).toBe(false);
  });

  it('NFKC: a hash of the normalised password made in python verifies with the full-width spelling', async () => {
    const phc = python(`print(PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(args["pw"]))`, { pw: 'password' });
    expect(await hasher.verify(phc, 'ｐａｓｓｗｏｒｄ')).toBe(true);
  });

  it('python recomputes the wrapped chain argon2id(argon2id(pw)) to the same outer hash', async () => {
    const v2 = createArgon2Hasher({ version: 2, params: { memoryKiB: 20_480, passes: 3, parallelism: 1 } });
    const wrapped = await v2.wrap(await hasher.hash('wrapped interop'));
    const [inner, outer] = decodeStoredHash(wrapped).layers;
    if (inner === undefined || outer === undefined) throw new Error('two layers expected');
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const out = python(
      `
inner = raw(args["pw"].encode(), unb64(args["s1"]), 2, 19456, 1, 32)
outer = raw(inner, unb64(args["s2"]), 3, 20480, 1, 32)
print(base64.b64encode(outer).decode().rstrip("="))`,
      { pw: 'wrapped interop', s1: b64(inner.salt), s2: b64(outer.salt) },
    );
    expect(wrapped.endsWith(`$${out}`)).toBe(true);
  });

  it('python with the same pepper as Argon2 secret reproduces our peppered hash', async () => {
    const pepper = { id: 'p1', secret: new Uint8Array(Buffer.from('0123456789abcdef0123456789abcdef')) };
    const peppered = createArgon2Hasher({ version: 1, pepper });
    const phc = await peppered.hash('peppered interop');
    const stored = decodeStoredHash(phc);
    const layer = stored.layers[0];
    if (layer === undefined) throw new Error('one layer expected');
    const out = python(
      `
print(base64.b64encode(raw(args["pw"].encode(), unb64(args["salt"]), 2, 19456, 1, 32, args["pepper"].encode())).decode().rstrip("="))`,
      { pw: 'peppered interop', salt: Buffer.from(layer.salt).toString('base64'), pepper: '0123456789abcdef0123456789abcdef' },
    );
    expect(phc.endsWith(`$${out}`)).toBe(true);
  });

  it('python reproduces the RFC 9106 §5.3 vector too (secret and associated data through argon2_ctx)', () => {
    const full = python(
      `
out = ffi.new("uint8_t[]", 32)
pwd = ffi.new("uint8_t[]", b"\\x01"*32); salt = ffi.new("uint8_t[]", b"\\x02"*16)
sec = ffi.new("uint8_t[]", b"\\x03"*8); ad = ffi.new("uint8_t[]", b"\\x04"*12)
ctx = ffi.new("argon2_context *", dict(version=19, out=out, outlen=32, pwd=pwd, pwdlen=32, salt=salt, saltlen=16,
    secret=sec, secretlen=8, ad=ad, adlen=12, t_cost=3, m_cost=32, lanes=4, threads=4,
    allocate_cbk=ffi.NULL, free_cbk=ffi.NULL, flags=lib.ARGON2_DEFAULT_FLAGS))
assert core(ctx, Type.ID.value) == 0
print(bytes(ffi.buffer(out, 32)).hex())`,
      {},
    );
    expect(full).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });
});

describe('interop with the argon2 CLI (reference C implementation)', () => {
  it('the CLI, given our salt and parameters, prints exactly our PHC string', async () => {
    const hasher = createArgon2Hasher({ version: 1, randomBytes: fixedSalt });
    const phc = await hasher.hash('cli interop password');
    expect(cli('cli interop password', ASCII_SALT, ['-id', '-t', '2', '-k', '19456', '-p', '1', '-l', '32'])).toBe(phc);
  });

  it('we verify what the CLI prints, and refuse a wrong password', async () => {
    const hasher = createArgon2Hasher({ version: 1 });
    const phc = cli('made by the cli', ASCII_SALT, ['-id', '-t', '2', '-m', '15', '-p', '1', '-l', '32']);
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=32768,t=2,p=1\$c2FsdHNhbHRzYWx0c2FsdA\$/);
    expect(await hasher.verify(phc, 'made by the cli')).toBe(true);
    expect(await hasher.verify(phc, 'made by the clj')).toBe(false);
    expect(hasher.needsRehash(phc)).toBe(true);
  });

  it('a UTF-8 password typed decomposed verifies against the CLI hash of its NFKC form', async () => {
    const hasher = createArgon2Hasher({ version: 1 });
    const phc = cli('\u00e9t\u00e9 \u00e0 paris', ASCII_SALT, ['-id', '-t', '2', '-k', '19456', '-p', '1', '-l', '32']);
    expect(await hasher.verify(phc, 'e\u0301te\u0301 a\u0300 paris')).toBe(true);
  });
});
