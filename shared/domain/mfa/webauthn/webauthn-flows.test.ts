/**
 * The WebAuthn use cases on memory stores with the real relying party
 * (`@simplewebauthn/server`) and a software authenticator: registration,
 * the login challenge and assertion, and every refusal: single-use and
 * expiring challenges, wrong origin, tampered client data, wrong RP ID,
 * missing user verification where the policy demands it, a replayed
 * assertion, a sign counter that does not grow (refused and audited), and a
 * credential registered twice.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { cryptoRandom, fixedClock } from '../../../adapters/local/clock.ts';
import { createMemoryStores } from '../../../adapters/memory/stores.ts';
import { seedTenant } from '../../../adapters/store/contracts/fixtures.ts';
import type { Stores } from '../../../adapters/store/stores.ts';
import { simpleWebauthnRelyingParty } from '../../../adapters/webauthn/simplewebauthn-relying-party.ts';
import { softAuthenticator, type SoftAuthenticator } from '../../../testing/soft-authenticator.ts';
import type { User } from '../../accounts/user.ts';
import type { MfaTokenRecord } from '../../login/one-time-tokens.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { attemptKeys } from '../attempts.ts';
import { WEBAUTHN_CHALLENGE_TTL_SECONDS } from './challenge.ts';
import { finishWebauthnRegistration } from './finish-webauthn-registration.ts';
import { startWebauthnAssertion } from './start-webauthn-assertion.ts';
import { startWebauthnRegistration } from './start-webauthn-registration.ts';
import { verifyWebauthnAssertionInTx, type VerifyWebauthnOutcome } from './verify-webauthn-assertion.ts';
import type { WebAuthnDeps } from './webauthn-deps.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const ORIGIN = 'http://localhost:8080';
const all = { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' };
let stores: Stores;
let clock: ReturnType<typeof fixedClock>;
let deps: WebAuthnDeps;
let key: SoftAuthenticator;

async function seedUser(userId: string, roles: readonly string[] = ['member']): Promise<User> {
  const at = new Date(clock.now()).toISOString();
  const user: User = {
    user_id: userId,
    tenant_id: 'acme',
    email: `${userId}@example.com`,
    roles,
    status: 'active',
    password: null,
    mfa_methods: [],
    created_at: at,
    updated_at: at,
    created_by: { type: 'platform', id: 'bootstrap' },
    last_login_at: null,
  };
  await stores.uow.run('eu', async (tx) => tx.users.create(user));
  return user;
}

async function editPolicy(edit: (t: Tenant) => Tenant): Promise<void> {
  await stores.uow.run('eu', async (tx) => {
    const t = await tx.tenants.get('acme');
    if (t === undefined) throw new Error('no tenant');
    tx.tenants.put(edit(t));
  });
}

const actor = (userId: string) => ({ type: 'user', id: userId }) as const;

async function options(userId: string): Promise<Record<string, unknown>> {
  const r = await startWebauthnRegistration(deps, { tenantId: 'acme', userId });
  if (r.kind !== 'options') throw new Error(r.kind);
  return r.options;
}

const finish = (userId: string, response: unknown) => finishWebauthnRegistration(deps, { tenantId: 'acme', userId, response, actor: actor(userId), requestId: 'req-1' });

async function register(userId: string, authenticator = key): Promise<string> {
  const r = await finish(userId, authenticator.register(await options(userId), { origin: ORIGIN }));
  if (r.kind !== 'registered') throw new Error(JSON.stringify(r));
  return r.factorId;
}

/** A pending `mfa_token` for the user; returns its hash. */
async function mfaToken(userId: string, hash = `hash-${cryptoRandom.uuid()}`): Promise<string> {
  const now = clock.now();
  const record: MfaTokenRecord = {
    token_hash: hash,
    tenant_id: 'acme',
    user_id: userId,
    client_id: 'test',
    device_id: null,
    amr: ['pwd'],
    methods: ['webauthn'],
    enrollment_required: false,
    breakglass: false,
    ip: '127.0.0.0',
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + 600_000).toISOString(),
  };
  await stores.uow.run('eu', async (tx) => tx.mfaTokens.create(record));
  return hash;
}

async function loginOptions(tokenHash: string): Promise<Record<string, unknown>> {
  const r = await startWebauthnAssertion(deps, { tenantId: 'acme', mfaTokenHash: tokenHash });
  if (r.kind !== 'options') throw new Error(r.kind);
  return r.options;
}

async function verify(userId: string, tokenHash: string, response: unknown, userVerificationRequired = false): Promise<VerifyWebauthnOutcome> {
  return stores.uow.run('eu', async (tx) => {
    const tenant = await tx.tenants.get('acme');
    if (tenant === undefined) throw new Error('no tenant');
    return verifyWebauthnAssertionInTx(tx, deps, { tenant, userId, mfaTokenHash: tokenHash, response, userVerificationRequired, nowMs: clock.now() });
  });
}

function withClientData(response: Record<string, unknown>, edit: (c: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown> {
  const inner = response['response'] as Record<string, unknown>;
  const c = JSON.parse(Buffer.from(inner['clientDataJSON'] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { ...response, response: { ...inner, clientDataJSON: Buffer.from(JSON.stringify(edit(c))).toString('base64url') } };
}

beforeEach(async () => {
  stores = createMemoryStores();
  await seedTenant(stores, 'acme', 'eu');
  clock = fixedClock(T0);
  deps = { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom, relyingParty: simpleWebauthnRelyingParty() };
  key = softAuthenticator();
});

describe('WebAuthn registration', () => {
  it('options carry the tenant RP ID, a 32-byte challenge, the user handle and preferred UV; verify stores a confirmed factor, adds the method, and writes the event and audit', async () => {
    await seedUser('u1');
    const opts = await options('u1');
    expect(opts).toMatchObject({ rp: { id: 'localhost', name: 'acme' }, user: { name: 'u1@example.com' }, attestation: 'none', authenticatorSelection: { userVerification: 'preferred' } });
    expect(Buffer.from(opts['challenge'] as string, 'base64url')).toHaveLength(32);
    const r = await finish('u1', key.register(opts, { origin: ORIGIN }));
    expect(r).toMatchObject({ kind: 'registered', methods: ['webauthn'], userVerified: true });
    const factors = await stores.uow.run('eu', (tx) => tx.mfaFactors.listForUser('acme', 'u1'));
    expect(factors).toEqual([
      expect.objectContaining({ type: 'webauthn', status: 'confirmed', credential_id: key.credentialId, sign_count: 0, transports: ['internal'], uv: true }),
    ]);
    expect((await stores.uow.run('eu', (tx) => tx.users.get('acme', 'u1')))?.mfa_methods).toEqual(['webauthn']);
    const events = await stores.uow.run('eu', (tx) => tx.outbox.createdBetween(all.from, all.to));
    expect(events.map((e) => [e.type, e.data['method']])).toEqual([['iam.mfa.enrolled.v1', 'webauthn']]);
    const audit = await stores.uow.run('eu', (tx) => tx.audit.between(all.from, all.to));
    expect(audit.map((a) => [a.action, a.actor])).toEqual([['mfa.enrolled', actor('u1')]]);
    // The next options exclude the registered credential.
    expect((await options('u1'))['excludeCredentials']).toEqual([{ id: key.credentialId, type: 'public-key', transports: ['internal'] }]);
  });

  it('a challenge is answered once, and not after 5 minutes', async () => {
    await seedUser('u1');
    const response = key.register(await options('u1'), { origin: ORIGIN });
    expect((await finish('u1', withClientData(response, (c) => ({ ...c, challenge: 'AAAA' })))).kind).toBe('invalid_response');
    expect(await finish('u1', response)).toEqual({ kind: 'no_challenge' });
    const late = key.register(await options('u1'), { origin: ORIGIN });
    clock.advance(WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000);
    expect(await finish('u1', late)).toEqual({ kind: 'challenge_expired' });
    expect(await finish('u1', late)).toEqual({ kind: 'no_challenge' });
    expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.listForUser('acme', 'u1'))).toEqual([]);
  });

  it('refuses a wrong origin, a wrong RP ID, a tampered clientDataJSON, a non-response, and a challenge of another user', async () => {
    await seedUser('u1');
    await seedUser('u2');
    const wrongOrigin = await finish('u1', key.register(await options('u1'), { origin: 'https://evil.example' }));
    expect(wrongOrigin).toMatchObject({ kind: 'invalid_response', reason: expect.stringContaining('origin') });
    const opts = await options('u1');
    const wrongRp = await finish('u1', key.register({ ...opts, rp: { id: 'evil.example' } }, { origin: ORIGIN }));
    expect(wrongRp).toMatchObject({ kind: 'invalid_response', reason: expect.stringMatching(/RP ID/i) });
    const tampered = await finish('u1', withClientData(key.register(await options('u1'), { origin: ORIGIN }), (c) => ({ ...c, type: 'webauthn.get' })));
    expect(tampered.kind).toBe('invalid_response');
    expect(await finish('u1', { id: 'x' })).toMatchObject({ kind: 'malformed' });
    expect(await finish('u1', 'not an object')).toMatchObject({ kind: 'malformed' });
    // u2's challenge answered by u1's session: u1 has no challenge.
    const theirs = key.register(await options('u2'), { origin: ORIGIN });
    expect(await finish('u1', theirs)).toEqual({ kind: 'no_challenge' });
    expect(await stores.uow.run('eu', (tx) => tx.mfaFactors.listForUser('acme', 'u1'))).toEqual([]);
  });

  it('requires user verification for a role in webauthn_required_for_roles', async () => {
    await seedUser('root', ['admin']);
    await editPolicy((t) => ({ ...t, policy: { ...t.policy, mfa: { ...t.policy.mfa, webauthn_required_for_roles: ['admin'] } } }));
    const opts = await options('root');
    expect(opts).toMatchObject({ authenticatorSelection: { userVerification: 'required' } });
    expect((await finish('root', key.register(opts, { origin: ORIGIN, userVerified: false }))).kind).toBe('invalid_response');
    expect(await finish('root', key.register(await options('root'), { origin: ORIGIN }))).toMatchObject({ kind: 'registered', userVerified: true });
  });

  it('refuses a credential registered already (in the tenant)', async () => {
    await seedUser('u1');
    await seedUser('u2');
    await register('u1');
    expect(await finish('u2', key.register(await options('u2'), { origin: ORIGIN }))).toEqual({ kind: 'already_registered' });
  });
});

describe('WebAuthn login step', () => {
  it('the challenge lists the user\'s credentials; a valid assertion verifies once and stores the counter', async () => {
    await seedUser('u1');
    const factorId = await register('u1');
    const token = await mfaToken('u1');
    const opts = await loginOptions(token);
    expect(opts).toMatchObject({ rpId: 'localhost', userVerification: 'preferred', allowCredentials: [{ id: key.credentialId, type: 'public-key' }] });
    const assertion = key.assert(opts, { origin: ORIGIN });
    expect(await verify('u1', token, assertion)).toEqual({ kind: 'verified', factorId, userVerified: true });
    const [factor] = await stores.uow.run('eu', (tx) => tx.mfaFactors.listForUser('acme', 'u1'));
    expect(factor).toMatchObject({ sign_count: 1, last_used_at: new Date(T0).toISOString() });
    // Replayed: the same assertion with the same token (challenge consumed), then against a new challenge.
    expect(await verify('u1', token, assertion)).toEqual({ kind: 'invalid_assertion', reason: 'no live challenge' });
    const next = await mfaToken('u1');
    await loginOptions(next);
    expect(await verify('u1', next, assertion)).toMatchObject({ kind: 'invalid_assertion', reason: expect.stringMatching(/challenge/i) });
  });

  it('refuses a wrong origin, a tampered clientDataJSON, an unknown credential, an expired challenge, and counts the failures', async () => {
    await seedUser('u1');
    await register('u1');
    const t1 = await mfaToken('u1');
    expect(await verify('u1', t1, key.assert(await loginOptions(t1), { origin: 'https://evil.example' }))).toMatchObject({
      kind: 'invalid_assertion',
      reason: expect.stringContaining('origin'),
    });
    const t2 = await mfaToken('u1');
    const tampered = withClientData(key.assert(await loginOptions(t2), { origin: ORIGIN }), (c) => ({ ...c, origin: 'http://localhost:8080', extra: 1 }));
    expect(await verify('u1', t2, tampered)).toMatchObject({ kind: 'invalid_assertion', reason: expect.stringMatching(/signature/i) });
    const t3 = await mfaToken('u1');
    expect(await verify('u1', t3, softAuthenticator().assert(await loginOptions(t3), { origin: ORIGIN }))).toEqual({ kind: 'invalid_assertion', reason: 'unknown credential' });
    const t4 = await mfaToken('u1');
    const late = key.assert(await loginOptions(t4), { origin: ORIGIN });
    clock.advance(WEBAUTHN_CHALLENGE_TTL_SECONDS * 1000);
    expect(await verify('u1', t4, late)).toEqual({ kind: 'invalid_assertion', reason: 'challenge expired' });
    expect(await verify('u1', t4, { type: 'public-key' })).toMatchObject({ kind: 'malformed' });
    // Four failures counted against the user (the malformed one is not), one against each token.
    const keys = attemptKeys('acme', 'u1', t4);
    expect((await stores.uow.run('eu', (tx) => tx.mfaAttempts.get(keys.user)))?.failures).toBe(4);
    expect((await stores.uow.run('eu', (tx) => tx.mfaAttempts.get(keys.token)))?.failures).toBe(1);
  });

  it('a sign counter that does not grow is refused and audited; an authenticator without counters (always 0) passes', async () => {
    await seedUser('u1');
    await register('u1');
    const t1 = await mfaToken('u1');
    expect((await verify('u1', t1, key.assert(await loginOptions(t1), { origin: ORIGIN }))).kind).toBe('verified');
    key.fixedCounter = true; // a clone still at 1
    const t2 = await mfaToken('u1');
    expect(await verify('u1', t2, key.assert(await loginOptions(t2), { origin: ORIGIN }))).toEqual({ kind: 'invalid_assertion', reason: 'sign counter did not increase' });
    const audit = await stores.uow.run('eu', (tx) => tx.audit.between(all.from, all.to));
    expect(audit.filter((a) => a.action === 'mfa.webauthn.counter_not_increased')).toEqual([
      expect.objectContaining({ actor: actor('u1'), target: 'user/u1', details: expect.objectContaining({ stored_sign_count: 1, received_sign_count: 1 }) }),
    ]);

    const zero = softAuthenticator();
    zero.fixedCounter = true;
    await seedUser('u2');
    await register('u2', zero);
    for (let i = 0; i < 2; i++) {
      const t = await mfaToken('u2');
      expect((await verify('u2', t, zero.assert(await loginOptions(t), { origin: ORIGIN }))).kind).toBe('verified');
    }
  });

  it('requires user verification when the caller or the challenge says so', async () => {
    await seedUser('u1');
    await register('u1');
    const t1 = await mfaToken('u1');
    expect(await verify('u1', t1, key.assert(await loginOptions(t1), { origin: ORIGIN, userVerified: false }), true)).toEqual({ kind: 'uv_required' });
    await editPolicy((t) => ({ ...t, policy: { ...t.policy, mfa: { ...t.policy.mfa, webauthn_required_for_roles: ['member'] } } }));
    const t2 = await mfaToken('u1');
    const opts = await loginOptions(t2);
    expect(opts['userVerification']).toBe('required');
    expect(await verify('u1', t2, key.assert(opts, { origin: ORIGIN, userVerified: false }))).toEqual({ kind: 'uv_required' });
    const t3 = await mfaToken('u1');
    expect((await verify('u1', t3, key.assert(await loginOptions(t3), { origin: ORIGIN }))).kind).toBe('verified');
  });

  it('the challenge needs a live mfa_token and a registered credential', async () => {
    await seedUser('u1');
    expect(await startWebauthnAssertion(deps, { tenantId: 'acme', mfaTokenHash: 'unknown' })).toEqual({ kind: 'invalid_mfa_token' });
    const token = await mfaToken('u1');
    expect(await startWebauthnAssertion(deps, { tenantId: 'acme', mfaTokenHash: token })).toEqual({ kind: 'no_factor' });
    await register('u1');
    clock.advance(600_000);
    expect(await startWebauthnAssertion(deps, { tenantId: 'acme', mfaTokenHash: token })).toEqual({ kind: 'invalid_mfa_token' });
    expect(await startWebauthnAssertion(deps, { tenantId: 'nowhere', mfaTokenHash: token })).toEqual({ kind: 'invalid_mfa_token' });
  });
});
