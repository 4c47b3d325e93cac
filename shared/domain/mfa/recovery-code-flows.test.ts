/** `generateRecoveryCodes` and `useRecoveryCode` together, on in-memory stores. */
import { describe, expect, it } from 'vitest';
import { RECOVERY_CODES, recoveryCodesId } from '../../adapters/store/recovery-code-repo.ts';
import { PEPPER_NAME, mfaWorld, type MfaWorld } from '../../testing/mfa-world.ts';
import { attemptKeys, MFA_TOKEN_MAX_FAILURES } from './attempts.ts';
import { generateRecoveryCodes } from './generate-recovery-codes.ts';
import { RECOVERY_CODE_COUNT } from './recovery-codes.ts';
import { useRecoveryCode } from './use-recovery-code.ts';
import { verifyTotp } from './verify-totp.ts';

const actor = { type: 'user', id: 'alice' } as const;

async function world(): Promise<MfaWorld> {
  const w = await mfaWorld();
  await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
  await w.seedUser({ tenant_id: 'acme', user_id: 'bob' });
  await w.enrolConfirmed('acme', 'alice');
  await w.enrolConfirmed('acme', 'bob');
  return w;
}

async function generate(w: MfaWorld, userId = 'alice'): Promise<readonly string[]> {
  const r = await generateRecoveryCodes(w.deps, { tenantId: 'acme', userId, actor: { type: 'user', id: userId }, requestId: 'req-g' });
  if (r.kind !== 'generated') throw new Error(r.kind);
  return r.codes;
}

const use = (w: MfaWorld, code: string, mfaTokenHash = 'tok-1', userId = 'alice') =>
  useRecoveryCode(w.deps, { tenantId: 'acme', userId, mfaTokenHash, code, requestId: 'req-u' });

describe('generateRecoveryCodes', () => {
  it('returns 10 distinct codes once, stores only keyed hashes with the pepper id, and adds recovery_code to the user', async () => {
    const w = await world();
    const codes = await generate(w);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of codes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);

    const doc = await w.stores.databases.regions.eu.get(RECOVERY_CODES, recoveryCodesId('acme', 'alice'));
    expect(doc).toMatchObject({ tenant_id: 'acme', user_id: 'alice', pepper_id: PEPPER_NAME });
    const text = JSON.stringify(doc);
    for (const c of codes) {
      expect(text).not.toContain(c);
      expect(text).not.toContain(c.replace('-', ''));
    }
    expect((doc?.['codes'] as unknown[]).length).toBe(RECOVERY_CODE_COUNT);
    expect((await w.user('acme', 'alice'))?.mfa_methods).toEqual(['totp', 'recovery_code']);

    const event = (await w.outbox()).find((e) => e.type === 'iam.mfa.recovery_codes_generated.v1');
    expect(event?.data).toMatchObject({ tenant_id: 'acme', user_id: 'alice', count: 10, voided_set_id: null });
    const audit = (await w.audit()).find((a) => a.action === 'mfa.recovery_codes.generated');
    expect(audit).toMatchObject({ actor, event_id: event?.id, request_id: 'req-g' });
    expect(JSON.stringify([event, audit])).not.toMatch(new RegExp(codes.map((c) => c.replace('-', '-?')).join('|')));
  });

  it('regenerating voids the whole old set in one commit: old codes, used or not, stop working', async () => {
    const w = await world();
    const old = await generate(w);
    expect((await use(w, old[0] as string)).kind).toBe('verified');
    w.clock.advance(1000);
    const before = w.commits();
    const fresh = await generate(w);
    expect(w.commits()).toBe(before + 1);
    for (const c of old.slice(1, 4)) expect(await use(w, c, 'tok-2')).toEqual({ kind: 'invalid_code' });
    expect((await use(w, fresh[0] as string, 'tok-3')).kind).toBe('verified');
    const events = (await w.outbox()).filter((e) => e.type === 'iam.mfa.recovery_codes_generated.v1');
    expect(events[1]?.data['voided_set_id']).toBe(events[0]?.data['set_id']);
    expect((await w.user('acme', 'alice'))?.mfa_methods).toEqual(['totp', 'recovery_code']);
  });

  it('refuses a user without a confirmed primary factor, and an unknown or disabled user, writing nothing', async () => {
    const w = await world();
    await w.seedUser({ tenant_id: 'acme', user_id: 'carol' });
    await w.seedUser({ tenant_id: 'acme', user_id: 'dora', status: 'disabled', mfa_methods: ['totp'] });
    const before = w.commits();
    const gen = (tenantId: string, userId: string) => generateRecoveryCodes(w.deps, { tenantId, userId, actor, requestId: null });
    expect(await gen('acme', 'carol')).toEqual({ kind: 'no_primary_factor' });
    expect(await gen('acme', 'dora')).toEqual({ kind: 'user_not_found' });
    expect(await gen('acme', 'nobody')).toEqual({ kind: 'user_not_found' });
    expect(await gen('globex', 'alice')).toEqual({ kind: 'user_not_found' });
    expect(await gen('nope', 'alice')).toEqual({ kind: 'user_not_found' });
    expect(w.commits()).toBe(before);
  });
});

describe('useRecoveryCode', () => {
  it('accepts a code once, however it is typed; the second use is refused', async () => {
    const w = await world();
    const codes = await generate(w);
    const code = codes[3] as string;
    const r = await use(w, code);
    expect(r).toMatchObject({ kind: 'verified', remaining: 9 });
    expect(await use(w, code, 'tok-2')).toEqual({ kind: 'used_code' });
    w.clock.advance(1000);
    const sloppy = ` ${(codes[4] as string).toLowerCase().replace('-', ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
    expect(await use(w, sloppy, 'tok-3')).toMatchObject({ kind: 'verified', remaining: 8 });

    const event = (await w.outbox()).filter((e) => e.type === 'iam.mfa.recovery_code_used.v1');
    expect(event.map((e) => e.data['remaining'])).toEqual([9, 8]);
    const audit = (await w.audit()).filter((a) => a.action === 'mfa.recovery_code.used');
    expect(audit[0]).toMatchObject({ actor: { type: 'user', id: 'alice' }, request_id: 'req-u' });
  });

  it('every code works once and the count runs down to 0; the user keeps recovery_code until regeneration', async () => {
    const w = await world();
    const codes = await generate(w);
    for (const [i, c] of codes.entries()) expect(await use(w, c, `t${i}`)).toMatchObject({ kind: 'verified', remaining: 9 - i });
    expect((await w.user('acme', 'alice'))?.mfa_methods).toContain('recovery_code');
  });

  it('refuses a wrong code, another user\'s code and a user without codes, counting each as a failure', async () => {
    const w = await world();
    const alice = await generate(w, 'alice');
    const bob = await generate(w, 'bob');
    expect(await use(w, 'ZZZZZ-ZZZZZ')).toEqual({ kind: 'invalid_code' });
    expect(await use(w, bob[0] as string)).toEqual({ kind: 'invalid_code' });
    await w.seedUser({ tenant_id: 'acme', user_id: 'carol' });
    expect(await use(w, alice[0] as string, 'tok-c', 'carol')).toEqual({ kind: 'invalid_code' });
    const keys = attemptKeys('acme', 'alice', 'tok-1');
    const counter = await w.stores.uow.run('eu', (tx) => tx.mfaAttempts.get(keys.token));
    expect(counter?.failures).toBe(2);
    // Bob's code still works for Bob.
    expect((await use(w, bob[0] as string, 'tok-b', 'bob')).kind).toBe('verified');
  });

  it('answers malformed input without counting', async () => {
    const w = await world();
    await generate(w);
    const before = w.commits();
    for (const bad of ['', '12345', 'ABCDE-FGHJKM', 'ABCDE-FGHJU', '123456']) expect(await use(w, bad)).toEqual({ kind: 'malformed' });
    expect(w.commits()).toBe(before);
  });

  it('shares the attempt limits with TOTP: failures of either method exhaust the token', async () => {
    const w = await world();
    const codes = await generate(w);
    for (let i = 0; i < MFA_TOKEN_MAX_FAILURES - 1; i++) await use(w, 'ZZZZZ-ZZZZZ');
    await verifyTotp(w.deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: 'tok-1', code: '000000' });
    expect(await use(w, codes[0] as string)).toEqual({ kind: 'token_exhausted' });
  });

  it('6 parallel uses of one code: exactly one succeeds', async () => {
    const w = await world();
    const codes = await generate(w);
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => use(w, codes[0] as string, `tok-${i}`)));
    expect(outcomes.filter((o) => o.kind === 'verified')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'used_code')).toHaveLength(5);
  });

  it('throws when the set\'s pepper is no longer configured (a deployment error, not a wrong code)', async () => {
    const w = await world();
    const codes = await generate(w);
    const deps = { ...w.deps, recoveryPepper: { current: w.deps.recoveryPepper.current, get: async () => undefined } };
    await expect(useRecoveryCode(deps, { tenantId: 'acme', userId: 'alice', mfaTokenHash: 't', code: codes[0] as string, requestId: null })).rejects.toThrow(
      /pepper 'iam-mfa-recovery-pepper' is not configured/,
    );
  });
});
