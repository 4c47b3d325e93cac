import { describe, expect, it } from 'vitest';
import { mfaWorld, type MfaWorld } from '../../testing/mfa-world.ts';
import { attemptKeys, MFA_TOKEN_MAX_FAILURES, MFA_USER_MAX_FAILURES, MFA_USER_WINDOW_SECONDS, type MfaAttemptCounter } from './attempts.ts';
import type { TotpFactor } from './factor.ts';
import { timeStep } from './totp.ts';
import { verifyTotp, verifyTotpInTx } from './verify-totp.ts';

async function world(): Promise<MfaWorld & { secret: Uint8Array; factorId: string }> {
  const w = await mfaWorld();
  await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
  await w.seedUser({ tenant_id: 'acme', user_id: 'bob' });
  return Object.assign(w, await w.enrolConfirmed('acme', 'alice'));
}

const attempt = (code: string, mfaTokenHash = 'tok-1', userId = 'alice') => ({ tenantId: 'acme', userId, mfaTokenHash, code });

async function counters(w: MfaWorld, token = 'tok-1', userId = 'alice'): Promise<{ token?: MfaAttemptCounter; user?: MfaAttemptCounter }> {
  const keys = attemptKeys('acme', userId, token);
  return w.stores.uow.run('eu', async (tx) => {
    const [t, u] = [await tx.mfaAttempts.get(keys.token), await tx.mfaAttempts.get(keys.user)];
    return { ...(t === undefined ? {} : { token: t }), ...(u === undefined ? {} : { user: u }) };
  });
}

/** A six-digit code that is none of the user's codes in the window. */
async function wrongCode(w: MfaWorld, secret: Uint8Array): Promise<string> {
  const valid = new Set(await Promise.all([-1, 0, 1].map((o) => w.codeOfStep(secret, o))));
  for (let n = 0; ; n++) {
    const c = String(n).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

describe('verifyTotp', () => {
  it('accepts the current code, remembers its step, and resets the counters', async () => {
    const w = await world();
    await verifyTotp(w.deps, attempt(await wrongCode(w, w.secret)));
    expect((await counters(w)).user?.failures).toBe(1);
    expect(await verifyTotp(w.deps, attempt(await w.code(w.secret)))).toEqual({ kind: 'verified', factorId: w.factorId, step: timeStep(w.clock.now()) });
    const [factor] = (await w.factors('acme', 'alice')) as TotpFactor[];
    expect(factor?.last_used_step).toBe(timeStep(w.clock.now()));
    expect(factor?.last_used_at).toBe(new Date(w.clock.now()).toISOString());
    expect(await counters(w)).toEqual({});
  });

  it('refuses the same code again (replay), and any code of an earlier step; accepts the next step', async () => {
    const w = await world();
    const code = await w.code(w.secret);
    expect((await verifyTotp(w.deps, attempt(code))).kind).toBe('verified');
    expect(await verifyTotp(w.deps, attempt(code, 'tok-2'))).toEqual({ kind: 'replayed' });
    expect(await verifyTotp(w.deps, attempt(await w.codeOfStep(w.secret, -1), 'tok-3'))).toEqual({ kind: 'replayed' });
    // still replayed 29 s later, inside the window
    w.clock.advance(29_000);
    expect(await verifyTotp(w.deps, attempt(code, 'tok-4'))).toEqual({ kind: 'replayed' });
    expect(await verifyTotp(w.deps, attempt(await w.code(w.secret), 'tok-5'))).toEqual({ kind: 'replayed' });
    w.clock.advance(1000); // the next step
    expect((await verifyTotp(w.deps, attempt(await w.code(w.secret), 'tok-6'))).kind).toBe('verified');
    // A replay counts as a failure.
    expect((await counters(w, 'tok-4')).token?.failures).toBe(1);
  });

  it('accepts the previous and the next step, not two steps away', async () => {
    const w = await world();
    w.clock.advance(5 * 30_000);
    expect((await verifyTotp(w.deps, attempt(await w.codeOfStep(w.secret, -2)))).kind).toBe('invalid_code');
    expect((await verifyTotp(w.deps, attempt(await w.codeOfStep(w.secret, 2)))).kind).toBe('invalid_code');
    expect((await verifyTotp(w.deps, attempt(await w.codeOfStep(w.secret, -1)))).kind).toBe('verified');
    expect((await verifyTotp(w.deps, attempt(await w.codeOfStep(w.secret, 1)))).kind).toBe('verified');
    // T+1 was used: the current step is now at or below the last used one.
    expect(await verifyTotp(w.deps, attempt(await w.codeOfStep(w.secret, 0)))).toEqual({ kind: 'replayed' });
  });

  it('answers malformed codes without reading or counting anything', async () => {
    const w = await world();
    const before = w.commits();
    for (const bad of ['', '12345', '1234567', '12 456', '１２３４５６', 'abcdef', '123456\n']) {
      expect(await verifyTotp(w.deps, attempt(bad))).toEqual({ kind: 'malformed' });
    }
    expect(w.commits()).toBe(before);
    expect(await counters(w)).toEqual({});
  });

  it('refuses another user\'s code, and a user without a confirmed factor (counted)', async () => {
    const w = await world();
    const bob = await w.enrolConfirmed('acme', 'bob');
    const aliceCode = await w.code(w.secret);
    if (aliceCode !== (await w.code(bob.secret))) expect(await verifyTotp(w.deps, attempt(aliceCode, 'tok-b', 'bob'))).toEqual({ kind: 'invalid_code' });
    await w.seedUser({ tenant_id: 'acme', user_id: 'carol' });
    expect(await verifyTotp(w.deps, attempt('123456', 'tok-c', 'carol'))).toEqual({ kind: 'no_factor' });
    expect((await counters(w, 'tok-c', 'carol')).user?.failures).toBe(1);
    expect(await verifyTotp(w.deps, { ...attempt('123456'), tenantId: 'nope' })).toEqual({ kind: 'no_factor' });
  });

  it(`exhausts an mfa_token after ${MFA_TOKEN_MAX_FAILURES} failures, even for a right code; a new token still works`, async () => {
    const w = await world();
    const wrong = await wrongCode(w, w.secret);
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES; i++) expect((await verifyTotp(w.deps, attempt(wrong))).kind).toBe('invalid_code');
    const before = w.commits();
    expect(await verifyTotp(w.deps, attempt(await w.code(w.secret)))).toEqual({ kind: 'token_exhausted' });
    expect(w.commits()).toBe(before); // refused without another count
    expect((await counters(w)).token?.failures).toBe(MFA_TOKEN_MAX_FAILURES);
    expect((await verifyTotp(w.deps, attempt(await w.code(w.secret), 'tok-2'))).kind).toBe('verified');
  });

  it(`locks the user after ${MFA_USER_MAX_FAILURES} failures across tokens for ${MFA_USER_WINDOW_SECONDS} s; then a right code works`, async () => {
    const w = await world();
    const wrong = await wrongCode(w, w.secret);
    for (let i = 0; i < MFA_USER_MAX_FAILURES; i++) {
      expect((await verifyTotp(w.deps, attempt(wrong, `tok-${Math.floor(i / 4)}`))).kind).toBe('invalid_code');
    }
    const locked = await counters(w, 'tok-x');
    expect(locked.user).toMatchObject({ failures: MFA_USER_MAX_FAILURES, locked_until: new Date(w.clock.now() + MFA_USER_WINDOW_SECONDS * 1000).toISOString() });
    expect(await verifyTotp(w.deps, attempt(await w.code(w.secret), 'tok-fresh'))).toEqual({ kind: 'user_locked', retryAfterSeconds: MFA_USER_WINDOW_SECONDS });
    w.clock.advance(MFA_USER_WINDOW_SECONDS * 1000 - 1000);
    expect(await verifyTotp(w.deps, attempt(await w.code(w.secret), 'tok-fresh'))).toEqual({ kind: 'user_locked', retryAfterSeconds: 1 });
    // Bob is not affected by Alice's lock.
    expect((await verifyTotp(w.deps, attempt('000000', 'tok-bob', 'bob'))).kind).toBe('no_factor');
    w.clock.advance(1000);
    expect((await verifyTotp(w.deps, attempt(await w.code(w.secret), 'tok-fresh'))).kind).toBe('verified');
  });

  it('failures older than the window no longer count', async () => {
    const w = await world();
    const wrong = await wrongCode(w, w.secret);
    for (let i = 0; i < MFA_USER_MAX_FAILURES - 1; i++) await verifyTotp(w.deps, attempt(wrong, `t${i}`));
    w.clock.advance(MFA_USER_WINDOW_SECONDS * 1000);
    await verifyTotp(w.deps, attempt(await wrongCode(w, w.secret), 'later'));
    expect((await counters(w, 'later')).user).toMatchObject({ failures: 1, locked_until: null });
  });

  it('20 parallel wrong guesses with one token: exactly 5 are checked, the rest refused (transactional counting)', async () => {
    const w = await world();
    const wrong = await wrongCode(w, w.secret);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => verifyTotp(w.deps, attempt(wrong))));
    const kinds = outcomes.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'invalid_code')).toHaveLength(MFA_TOKEN_MAX_FAILURES);
    expect(kinds.filter((k) => k === 'token_exhausted')).toHaveLength(20 - MFA_TOKEN_MAX_FAILURES);
    const c = await counters(w);
    expect([c.token?.failures, c.user?.failures]).toEqual([MFA_TOKEN_MAX_FAILURES, MFA_TOKEN_MAX_FAILURES]);
  });

  it('6 parallel uses of one right code: one is verified, the others are replays', async () => {
    const w = await world();
    const code = await w.code(w.secret);
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => verifyTotp(w.deps, attempt(code, `tok-${i}`))));
    expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'replayed')).toHaveLength(5);
  });

  it('verifyTotpInTx composes with the caller\'s transaction: its writes commit with the caller\'s, or not at all', async () => {
    const w = await world();
    const code = await w.code(w.secret);
    await expect(
      w.stores.uow.run('eu', async (tx) => {
        const r = await verifyTotpInTx(tx, w.deps, { ...attempt(code), nowMs: w.clock.now() });
        expect(r.kind).toBe('verified');
        throw new Error('the caller fails after the check');
      }),
    ).rejects.toThrow('the caller fails');
    // Nothing was committed: the code is still fresh.
    expect((await verifyTotp(w.deps, attempt(code))).kind).toBe('verified');
  });
});
