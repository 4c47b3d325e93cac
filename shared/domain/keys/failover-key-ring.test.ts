import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/local/clock.ts';
import { createLocalKeyRing } from '../../adapters/local/local-key-ring.ts';
import { memoryKeyStore } from '../../adapters/local/local-key-ring-memory.ts';
import { describeKeyRingContract } from '../../testing/key-ring-contract.ts';
import { isIamError } from '../errors.ts';
import type { KeyRing, TokenSigner } from '../ports.ts';
import { buildJwks } from './build-jwks.ts';
import { createFailoverKeyRing, type FailoverEvent } from './failover-key-ring.ts';
import { ACCESS_TOKEN_TYP, signJws, type FailoverSigner } from './sign-jws.ts';

const T0 = Date.UTC(2026, 0, 1);

/** A real (local) ring whose signing can be switched off, counting sign calls. */
function switchable(clock: ReturnType<typeof fixedClock>) {
  const inner = createLocalKeyRing(memoryKeyStore(), { clock });
  const state = { down: false, signs: 0, currents: 0, currentDown: false };
  const wrap = (s: TokenSigner): TokenSigner => ({
    kid: s.kid,
    alg: s.alg,
    publicJwk: () => s.publicJwk(),
    sign: async (input) => {
      state.signs++;
      if (state.down) throw new Error('KMS is down');
      return s.sign(input);
    },
  });
  const ring: KeyRing = {
    current: async () => {
      state.currents++;
      if (state.currentDown) throw new Error('GetPublicKey failed');
      return wrap(await inner.current());
    },
    published: () => inner.published(),
  };
  return { ring, state, kid: async () => (await inner.current()).kid };
}

function world() {
  const clock = fixedClock(T0);
  const primary = switchable(clock);
  const replica = switchable(clock);
  const events: FailoverEvent[] = [];
  const ring = createFailoverKeyRing({
    primary: primary.ring,
    replica: replica.ring,
    clock,
    breaker: { failureThreshold: 3, coolDownMs: 30_000 },
    onEvent: (e) => events.push(e),
  });
  const issue = async () => signJws(await ring.current(), { typ: ACCESS_TOKEN_TYP }, { iss: 'https://iam.test', sub: 'u1', iat: T0 / 1000, exp: T0 / 1000 + 900 });
  const verify = async (jwt: string) => {
    const jwks = createLocalJWKSet((await buildJwks(ring)) as unknown as { keys: JWK[] });
    return jwtVerify(jwt, jwks, { algorithms: ['ES256'], typ: 'at+jwt', currentDate: new Date(T0) });
  };
  return { clock, primary, replica, ring, events, issue, verify };
}

describeKeyRingContract('failover ring over two local rings', async () => {
  const clock = fixedClock(T0);
  return { ring: createFailoverKeyRing({ primary: switchable(clock).ring, replica: switchable(clock).ring, clock }) };
});

describe('failover key ring', () => {
  it('signs with the primary while it works, and publishes the replica key too', async () => {
    const w = world();
    const jwt = await w.issue();
    expect(decodeProtectedHeader(jwt).kid).toBe(await w.primary.kid());
    expect(w.replica.state.signs).toBe(0);
    const published = await w.ring.published();
    expect(published.map((p) => p.status)).toEqual(['current', 'next', 'replica', 'replica']);
    expect(published.map((p) => p.jwk.kid)).toContain(await w.replica.kid());
    expect((await buildJwks(w.ring)).keys[0]?.kid).toBe(await w.primary.kid());
    await w.verify(jwt);
  });

  it('fails over on a failed call: the same request gets a token with the replica kid, which verifies', async () => {
    const w = world();
    w.primary.state.down = true;
    const jwt = await w.issue();
    expect(decodeProtectedHeader(jwt).kid).toBe(await w.replica.kid());
    const { payload, protectedHeader } = await w.verify(jwt);
    expect(payload.sub).toBe('u1');
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: await w.replica.kid() });
    expect(w.ring.breakers().primary).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
    expect(w.events).toContainEqual(expect.objectContaining({ kind: 'failure', leg: 'primary' }));
  });

  it('opens the primary breaker after 3 failures; then the primary is not even tried', async () => {
    const w = world();
    w.primary.state.down = true;
    for (let i = 0; i < 3; i++) await w.issue();
    expect(w.ring.breakers().primary.state).toBe('open');
    expect(w.primary.state.signs).toBe(3);
    for (let i = 0; i < 5; i++) expect(decodeProtectedHeader(await w.issue()).kid).toBe(await w.replica.kid());
    expect(w.primary.state.signs).toBe(3); // no call while open
    expect(w.ring.breakers().primary.counts.refused).toBe(5);
    expect(w.events).toContainEqual({ kind: 'breaker', leg: 'primary', from: 'closed', to: 'open', at: T0 });
  });

  it('fails over when the primary cannot even hand out a signer (public key fetch fails)', async () => {
    const w = world();
    w.primary.state.currentDown = true;
    expect(decodeProtectedHeader(await w.issue()).kid).toBe(await w.replica.kid());
    expect(w.ring.breakers().primary.consecutiveFailures).toBe(1);
  });

  it('with both down: temporarily_unavailable with Retry-After, and once both breakers are open no key is called at all', async () => {
    const w = world();
    w.primary.state.down = true;
    w.replica.state.down = true;
    for (let i = 0; i < 3; i++) {
      const e = await w.issue().catch((x: unknown) => x);
      expect(isIamError(e, 'temporarily_unavailable')).toBe(true);
    }
    expect(w.ring.breakers()).toMatchObject({ primary: { state: 'open' }, replica: { state: 'open' } });
    const before = { p: w.primary.state.signs, r: w.replica.state.signs };
    const e = await w.ring.current().catch((x: unknown) => x);
    expect(isIamError(e, 'temporarily_unavailable')).toBe(true);
    expect((e as { retryAfter?: number }).retryAfter).toBe(30);
    expect({ p: w.primary.state.signs, r: w.replica.state.signs }).toEqual(before);
    w.clock.advance(20_000);
    expect(((await w.ring.current().catch((x: unknown) => x)) as { retryAfter?: number }).retryAfter).toBe(10);
  });

  it('keeps publishing the JWKS, and verifying old tokens, while both keys are down', async () => {
    const w = world();
    const early = await w.issue();
    w.primary.state.down = true;
    const failover = await w.issue();
    w.replica.state.down = true;
    await expect(w.issue()).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    await w.verify(early);
    await w.verify(failover);
  });

  it('recovers: after the cool-down one probe goes to the primary, and its success closes the breaker', async () => {
    const w = world();
    w.primary.state.down = true;
    for (let i = 0; i < 3; i++) await w.issue();
    w.clock.advance(30_000);
    expect(w.ring.breakers().primary.state).toBe('half_open');
    // Still down: the probe fails, the request is served by the replica, the breaker opens again.
    expect(decodeProtectedHeader(await w.issue()).kid).toBe(await w.replica.kid());
    expect(w.ring.breakers().primary.state).toBe('open');
    w.primary.state.down = false;
    w.clock.advance(30_000);
    expect(decodeProtectedHeader(await w.issue()).kid).toBe(await w.primary.kid());
    expect(w.ring.breakers().primary.state).toBe('closed');
    expect(w.events.filter((e) => e.kind === 'breaker').map((e) => (e.kind === 'breaker' ? `${e.from}->${e.to}` : ''))).toEqual([
      'closed->open',
      'half_open->open',
      'half_open->closed',
    ]);
  });

  it('sends concurrent requests to the replica while the half-open probe is out', async () => {
    const w = world();
    w.primary.state.down = true;
    for (let i = 0; i < 3; i++) await w.issue();
    w.primary.state.down = false;
    w.clock.advance(30_000);
    const kids = await Promise.all(Array.from({ length: 4 }, async () => decodeProtectedHeader(await w.issue()).kid));
    const primaryKid = await w.primary.kid();
    expect(kids.filter((k) => k === primaryKid)).toHaveLength(1);
    expect(w.ring.breakers().primary.state).toBe('closed');
  });

  it('without a replica, still fails fast once the breaker is open', async () => {
    const clock = fixedClock(T0);
    const primary = switchable(clock);
    const ring = createFailoverKeyRing({ primary: primary.ring, clock });
    primary.state.down = true;
    for (let i = 0; i < 3; i++) await expect(signJws(await ring.current(), { typ: 'at+jwt' }, {})).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    await expect(ring.current()).rejects.toMatchObject({ code: 'temporarily_unavailable', retryAfter: 30 });
    expect(primary.state.signs).toBe(3);
    expect(ring.breakers().replica).toBeUndefined();
    expect((await ring.published()).map((p) => p.status)).toEqual(['current', 'next']);
  });

  it('publishes nothing when the replica set cannot be read (all or nothing)', async () => {
    const clock = fixedClock(T0);
    const replica: KeyRing = { current: async () => Promise.reject(new Error('x')), published: async () => Promise.reject(new Error('replica down')) };
    const ring = createFailoverKeyRing({ primary: switchable(clock).ring, replica, clock });
    await expect(ring.published()).rejects.toThrow('replica down');
  });
});

describe('signJws with a FailoverSigner', () => {
  const failing = (kid: string, calls: string[]): FailoverSigner => ({
    kid,
    alg: 'ES256',
    publicJwk: async () => {
      throw new Error('unused');
    },
    sign: async () => {
      calls.push(kid);
      throw new Error(`${kid} failed`);
    },
    failover: async () => failing(`${kid}+`, calls),
  });

  it('tries at most 3 signers, then throws the last failure', async () => {
    const calls: string[] = [];
    await expect(signJws(failing('a', calls), { typ: 'at+jwt' }, {})).rejects.toThrow('a++ failed');
    expect(calls).toEqual(['a', 'a+', 'a++']);
  });

  it("reports the failover's own refusal (no key left)", async () => {
    const signer: FailoverSigner = { ...failing('a', []), failover: async () => Promise.reject(new Error('no key left')) };
    await expect(signJws(signer, { typ: 'at+jwt' }, {})).rejects.toThrow('no key left');
  });
});
