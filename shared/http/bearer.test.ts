import { createHmac, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../adapters/local/clock.ts';
import { createLocalKeyRing, type LocalKeyRing } from '../adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../adapters/local/local-key-ring-memory.ts';
import { isIamError, type IamError } from '../domain/errors.ts';
import { base64urlEncode } from '../domain/keys/base64url.ts';
import { signJws } from '../domain/keys/sign-jws.ts';
import type { KeyRing, TokenSigner } from '../domain/ports.ts';
import { silentLogger } from '../log.ts';
import { BEARER_CLOCK_SKEW_SECONDS, createBearerVerifier, verifyBearer, type BearerDeps } from './bearer.ts';
import { errorResponse } from './envelope.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const NOW = T0 / 1000;
const ISSUER = 'http://127.0.0.1:8080';
const AUDIENCE = 'melmastoon';

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    exp: NOW + 900,
    iat: NOW,
    nbf: NOW,
    jti: 'jti-0123456789abcdef',
    tid: 'acme',
    roles: ['tenant_admin'],
    amr: ['pwd'],
    acr: 'urn:melmastoon:acr:pwd',
    sid: 'sid-1',
    ver: 1,
    ...extra,
  };
}

const b64json = (x: unknown): string => base64urlEncode(new TextEncoder().encode(JSON.stringify(x)));
const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } });

let ring: LocalKeyRing;
let signer: TokenSigner;
let publishedCalls = 0;
let countingRing: KeyRing;
const clock = fixedClock(T0);

beforeAll(async () => {
  ring = createLocalKeyRing(memoryKeyStore(), { clock: fixedClock(T0) });
  signer = await ring.current();
  countingRing = {
    current: () => ring.current(),
    published: () => {
      publishedCalls++;
      return ring.published();
    },
  };
});

function deps(overrides: Partial<BearerDeps> = {}): BearerDeps {
  return { keyRing: countingRing, clock, issuer: ISSUER, audience: AUDIENCE, ...overrides };
}

async function token(extra: Record<string, unknown> = {}, typ = 'at+jwt', s: TokenSigner = signer): Promise<string> {
  return signJws(s, { typ }, claims(extra));
}

async function refusal(p: Promise<unknown>): Promise<IamError> {
  try {
    await p;
  } catch (e) {
    expect(isIamError(e, 'invalid_token')).toBe(true);
    return e as IamError;
  }
  throw new Error('expected invalid_token');
}

describe('verifyBearer', () => {
  it('returns the claims of a valid token', async () => {
    const t = await token({ cnf: { 'x5t#S256': 'A'.repeat(43) }, future_claim: 'ignored' });
    const c = await verifyBearer(deps(), req(`Bearer ${t}`));
    expect(c).toMatchObject({ sub: 'user-1', tid: 'acme', roles: ['tenant_admin'], ver: 1, cnf: { 'x5t#S256': 'A'.repeat(43) } });
    expect(c).not.toHaveProperty('future_claim');
  });

  it('accepts a token signed by any published key (here a previous one)', async () => {
    const r2 = createLocalKeyRing(memoryKeyStore(), { clock: fixedClock(T0) });
    const s2 = await r2.current();
    const both: KeyRing = {
      current: () => ring.current(),
      published: async () => [...(await ring.published()), { status: 'previous', jwk: await s2.publicJwk() }],
    };
    await expect(verifyBearer(deps({ keyRing: both }), req(`Bearer ${await token({}, 'at+jwt', s2)}`))).resolves.toMatchObject({ sub: 'user-1' });
    // Without it in the published set, the same token is refused.
    await refusal(verifyBearer(deps(), req(`Bearer ${await token({}, 'at+jwt', s2)}`)));
  });

  it('accepts the scheme in any case and an array audience', async () => {
    const t = await token({ aud: ['other', AUDIENCE] });
    await expect(verifyBearer(deps(), req(`bearer ${t}`))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('tolerates the documented clock skew, and no more', async () => {
    const skew = BEARER_CLOCK_SKEW_SECONDS;
    await expect(verifyBearer(deps(), req(`Bearer ${await token({ exp: NOW - skew + 1, iat: NOW - 800, nbf: NOW - 800 })}`))).resolves.toBeDefined();
    await expect(verifyBearer(deps(), req(`Bearer ${await token({ nbf: NOW + skew - 1, iat: NOW + skew - 1, exp: NOW + 800 })}`))).resolves.toBeDefined();
    await refusal(verifyBearer(deps(), req(`Bearer ${await token({ exp: NOW - skew - 1, iat: NOW - 800, nbf: NOW - 800 })}`)));
  });

  describe('refuses, with invalid_token', () => {
    it('a request without an Authorization header', async () => {
      expect((await refusal(verifyBearer(deps(), req()))).message).toContain('required');
    });

    it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a.b.c extra'], ['Bearer  '], [`Bearer ${'a'.repeat(9000)}`], ['IamBootstrap abc']])(
      'a malformed Authorization header (%#)',
      async (h) => {
        await refusal(verifyBearer(deps(), req(h)));
      },
    );

    it.each([['not-a-jws'], ['a.b'], ['a.b.c.d'], ['!!.b.c'], [`${b64json('x')}.e30.AAAA`], [`${base64urlEncode(new Uint8Array([0xff, 0xfe]))}.e30.AAAA`]])(
      'a malformed token (%#)',
      async (t) => {
        await refusal(verifyBearer(deps(), req(`Bearer ${t}`)));
      },
    );

    it('alg none, before touching any key', async () => {
      const before = publishedCalls;
      const t = `${b64json({ alg: 'none', typ: 'at+jwt', kid: signer.kid })}.${b64json(claims())}.`;
      const t2 = `${b64json({ alg: 'none', typ: 'at+jwt', kid: signer.kid })}.${b64json(claims())}.AAAA`;
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${t}`)))).message).toMatch(/compact JWS|algorithm/);
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${t2}`)))).message).toContain('algorithm');
      expect(publishedCalls).toBe(before);
    });

    it('HS256 signed with the public key as the HMAC secret (key confusion), before touching any key', async () => {
      const jwk = await signer.publicJwk();
      const before = publishedCalls;
      for (const secret of [JSON.stringify(jwk), jwk.x, `${jwk.x}${jwk.y}`]) {
        const input = `${b64json({ alg: 'HS256', typ: 'at+jwt', kid: signer.kid })}.${b64json(claims())}`;
        const mac = createHmac('sha256', secret).update(input).digest('base64url');
        expect((await refusal(verifyBearer(deps(), req(`Bearer ${input}.${mac}`)))).message).toContain('algorithm');
      }
      expect(publishedCalls).toBe(before);
    });

    it.each(['ES384', 'RS256', 'EdDSA', 'es256', 'PS256'])('alg %s', async (alg) => {
      const t = await token();
      const [, p, s] = t.split('.');
      await refusal(verifyBearer(deps(), req(`Bearer ${b64json({ alg, typ: 'at+jwt', kid: signer.kid })}.${p}.${s}`)));
    });

    it.each(['JWT', 'jwt', 'application/at+jwt', 'mfa+jwt', undefined])('typ %s', async (typ) => {
      const header: Record<string, unknown> = { alg: 'ES256', kid: signer.kid };
      if (typ !== undefined) header['typ'] = typ;
      // Properly signed, so only the typ can be the reason.
      const input = `${b64json(header)}.${b64json(claims())}`;
      const sig = await signer.sign(new TextEncoder().encode(input));
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${input}.${base64urlEncode(sig)}`)))).message).toContain('typ');
    });

    it('a header with members beyond alg, typ and kid (crit, jku, jwk)', async () => {
      for (const extra of [{ crit: ['exp'] }, { jku: 'https://evil.example/jwks' }, { jwk: await signer.publicJwk() }]) {
        const input = `${b64json({ alg: 'ES256', typ: 'at+jwt', kid: signer.kid, ...extra })}.${b64json(claims())}`;
        const sig = await signer.sign(new TextEncoder().encode(input));
        await refusal(verifyBearer(deps(), req(`Bearer ${input}.${base64urlEncode(sig)}`)));
      }
    });

    it('an unknown kid, and a known kid signed by another key', async () => {
      const other = createLocalKeyRing(memoryKeyStore(), { clock: fixedClock(T0) });
      const foreign = await other.current();
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${await token({}, 'at+jwt', foreign)}`)))).message).toContain('unknown key');
      // The foreign key's signature under our kid.
      const t = await token({}, 'at+jwt', foreign);
      const [, p, s] = t.split('.');
      const forged = `${b64json({ alg: 'ES256', typ: 'at+jwt', kid: signer.kid })}.${p}.${s}`;
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${forged}`)))).message).toContain('signature');
    });

    it('a key that is published without use sig / alg ES256', async () => {
      const jwk = await signer.publicJwk();
      const odd: KeyRing = { current: () => ring.current(), published: async () => [{ status: 'current', jwk: { ...jwk, use: 'enc' as 'sig' } }] };
      await refusal(verifyBearer(deps({ keyRing: odd }), req(`Bearer ${await token()}`)));
    });

    it('a tampered payload, and a tampered signature', async () => {
      const t = await token();
      const [h, , s] = t.split('.');
      const tampered = `${h}.${b64json(claims({ roles: ['platform_admin'] }))}.${s}`;
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${tampered}`)))).message).toContain('signature');
      const sig = Buffer.from(s as string, 'base64url');
      sig[5] = (sig[5] as number) ^ 1;
      await refusal(verifyBearer(deps(), req(`Bearer ${h}.${t.split('.')[1]}.${sig.toString('base64url')}`)));
    });

    it('a signature in DER instead of r||s', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const input = `${b64json({ alg: 'ES256', typ: 'at+jwt', kid: signer.kid })}.${b64json(claims())}`;
      const der = nodeSign('sha256', Buffer.from(input), privateKey);
      await refusal(verifyBearer(deps(), req(`Bearer ${input}.${der.toString('base64url')}`)));
    });

    it('an expired token', async () => {
      const e = await refusal(verifyBearer(deps(), req(`Bearer ${await token({ iat: NOW - 2000, nbf: NOW - 2000, exp: NOW - 1100 })}`)));
      expect(e.message).toContain('expired');
    });

    it('a token not valid yet', async () => {
      const e = await refusal(verifyBearer(deps(), req(`Bearer ${await token({ nbf: NOW + 120, iat: NOW, exp: NOW + 900 })}`)));
      expect(e.message).toContain('not valid yet');
    });

    it('a token issued in the future', async () => {
      await refusal(verifyBearer(deps(), req(`Bearer ${await token({ iat: NOW + 300, nbf: NOW, exp: NOW + 900 })}`)));
    });

    it('a token from another issuer', async () => {
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${await token({ iss: 'https://evil.example' })}`)))).message).toContain('issuer');
      // The issuer compares exactly: a trailing slash is another issuer.
      await refusal(verifyBearer(deps(), req(`Bearer ${await token({ iss: `${ISSUER}/` })}`)));
    });

    it('a token for another audience', async () => {
      expect((await refusal(verifyBearer(deps(), req(`Bearer ${await token({ aud: 'other-api' })}`)))).message).toContain('audience');
    });

    it('a lifetime over 15 minutes', async () => {
      await refusal(verifyBearer(deps(), req(`Bearer ${await token({ exp: NOW + 901 })}`)));
    });

    it.each([
      ['ver 2', { ver: 2 }],
      ['ver "1"', { ver: '1' }],
      ['no ver', { ver: undefined }],
      ['no tid', { tid: undefined }],
      ['a bad tid', { tid: 'Acme!' }],
      ['no sid', { sid: undefined }],
      ['roles not an array', { roles: 'tenant_admin' }],
      ['empty amr', { amr: [] }],
      ['an unknown acr', { acr: 'urn:other' }],
      ['no sub', { sub: undefined }],
      ['a short jti', { jti: 'x' }],
      ['no exp', { exp: undefined }],
    ])('claims that break contract v1: %s', async (_name, extra) => {
      await refusal(verifyBearer(deps(), req(`Bearer ${await token(extra)}`)));
    });

    it('a token whose session has ended (checkSession)', async () => {
      const t = await token();
      const seen: string[] = [];
      const e = await refusal(
        verifyBearer(deps(), req(`Bearer ${t}`), {
          checkSession: async (c) => {
            seen.push(c.sid);
            return false;
          },
        }),
      );
      expect(e.message).toContain('session');
      expect(seen).toEqual(['sid-1']);
      await expect(verifyBearer(deps(), req(`Bearer ${t}`), { checkSession: async () => true })).resolves.toBeDefined();
    });
  });

  it('renders as 401 with WWW-Authenticate and no token in the body', async () => {
    const t = await token({ exp: NOW - 3600, iat: NOW - 4000, nbf: NOW - 4000 });
    const e = await refusal(createBearerVerifier(deps())(req(`Bearer ${t}`)));
    const res = errorResponse(e, 'req-00000001', silentLogger);
    expect(res.status).toBe(401);
    expect(res.headers?.['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(JSON.stringify(res.body)).not.toContain(t.split('.')[2]);
    expect(res.body).toMatchObject({ error: 'invalid_token' });
  });
});
