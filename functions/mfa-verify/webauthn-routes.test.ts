/**
 * The WebAuthn routes through the mfa-verify router (with the token routes
 * for the password step), on memory stores with the real relying party and
 * a software authenticator: registration, the login challenge, finishing a
 * login with `hwk`, and every client error with its code.
 */
import { describe, expect, it } from 'vitest';
import { softAuthenticator, type SoftAuthenticator } from '../../shared/testing/soft-authenticator.ts';
import { mfaVerifyFixture, type Answer } from './testing/mfa-verify-fixture.ts';

const ORIGIN = 'http://localhost:8080'; // the loopback default: ISSUER is http://127.0.0.1:8080

type Fixture = ReturnType<typeof mfaVerifyFixture>;

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function expectError(r: Answer, status: number, code: string): void {
  expect({ status: r.status, error: r.body['error'] }, JSON.stringify(r.body)).toEqual({ status, error: code });
}

function withClientData(response: Record<string, unknown>, edit: (c: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown> {
  const inner = response['response'] as Record<string, unknown>;
  const c = JSON.parse(Buffer.from(inner['clientDataJSON'] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { ...response, response: { ...inner, clientDataJSON: Buffer.from(JSON.stringify(edit(c))).toString('base64url') } };
}

/** A user with a passkey registered through the routes with a first login's access token (or enrollment token). */
async function withPasskey(f: Fixture, email: string, roles: readonly string[] = ['member']): Promise<{ key: SoftAuthenticator; access: string; userId: string }> {
  const user = await f.addUser({ tenantId: 'acme', email, roles });
  const first = await f.passwordLogin('acme', email);
  // A role the policy mandates WebAuthn for gets an enrollment token (limited to enrolment) instead of a session.
  expect([first.status, first.body['error']], JSON.stringify(first.body)).toEqual(roles.includes('admin') ? [403, 'mfa_enrollment_required'] : [200, undefined]);
  const access = (first.body['access_token'] ?? first.body['enrollment_token']) as string;
  const options = await f.call('/v1/mfa/webauthn/register/options', undefined, access);
  expect(options.status, JSON.stringify(options.body)).toBe(200);
  expect(options.headers?.['cache-control']).toBe('no-store');
  const key = softAuthenticator();
  const registered = await f.call('/v1/mfa/webauthn/register/verify', { response: key.register(options.body, { origin: ORIGIN }) }, access);
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  expect(registered.body).toMatchObject({ method: 'webauthn', mfa_methods: ['webauthn'] });
  return { key, access, userId: user.user_id };
}

/** Password step and the WebAuthn challenge: the `mfa_token` and the request options. */
async function challenge(f: Fixture, email: string): Promise<{ token: string; options: Record<string, unknown> }> {
  const first = await f.passwordLogin('acme', email);
  expect(first.body).toMatchObject({ error: 'mfa_required' });
  const token = first.body['mfa_token'] as string;
  const options = await f.call('/v1/mfa/challenge', { mfa_token: token, method: 'webauthn' });
  expect(options.status, JSON.stringify(options.body)).toBe(200);
  return { token, options: options.body };
}

describe('WebAuthn through the mfa-verify routes', () => {
  it('registers a passkey and finishes a login with amr pwd+hwk; the same assertion again is refused', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { key, userId } = await withPasskey(f, 'ada@example.com');
    const { token, options } = await challenge(f, 'ada@example.com');
    expect(options).toMatchObject({ rpId: 'localhost', allowCredentials: [{ id: key.credentialId, type: 'public-key' }] });
    const assertion = key.assert(options, { origin: ORIGIN });
    const ok = await f.call('/v1/mfa/verify', { mfa_token: token, method: 'webauthn', response: assertion });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const claims = claimsOf(ok.body['access_token'] as string);
    expect(claims).toMatchObject({ sub: userId, amr: ['pwd', 'hwk'], acr: 'urn:melmastoon:acr:phr' });
    expectError(await f.call('/v1/mfa/verify', { mfa_token: token, method: 'webauthn', response: assertion }), 401, 'invalid_grant');
    const next = await challenge(f, 'ada@example.com');
    expectError(await f.call('/v1/mfa/verify', { mfa_token: next.token, method: 'webauthn', response: assertion }), 401, 'invalid_grant');
  });

  it('registration refusals: no token, a body that is not {response}, a malformed response, a wrong origin, a stale challenge, no recent MFA', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    await f.addUser({ tenantId: 'acme', email: 'bea@example.com' });
    const access = (await f.passwordLogin('acme', 'bea@example.com')).body['access_token'] as string;
    const key = softAuthenticator();
    expectError(await f.call('/v1/mfa/webauthn/register/options'), 401, 'invalid_token');
    expectError(await f.call('/v1/mfa/webauthn/register/options', { extra: 1 }, access), 400, 'invalid_request');
    const options = (await f.call('/v1/mfa/webauthn/register/options', undefined, access)).body;
    expectError(await f.call('/v1/mfa/webauthn/register/verify', key.register(options, { origin: ORIGIN }), access), 400, 'invalid_request');
    expectError(await f.call('/v1/mfa/webauthn/register/verify', { response: { id: 'abc' } }, access), 400, 'invalid_request');
    expectError(await f.call('/v1/mfa/webauthn/register/verify', { response: key.register(options, { origin: 'https://evil.example' }) }, access), 400, 'invalid_request');
    // The wrong-origin attempt consumed the challenge: the right answer to it is refused too.
    expectError(await f.call('/v1/mfa/webauthn/register/verify', { response: key.register(options, { origin: ORIGIN }) }, access), 400, 'invalid_request');
    const fresh = (await f.call('/v1/mfa/webauthn/register/options', undefined, access)).body;
    const tampered = withClientData(key.register(fresh, { origin: ORIGIN }), (c) => ({ ...c, challenge: 'AAAA' }));
    expectError(await f.call('/v1/mfa/webauthn/register/verify', { response: tampered }, access), 400, 'invalid_request');
    const last = (await f.call('/v1/mfa/webauthn/register/options', undefined, access)).body;
    expect((await f.call('/v1/mfa/webauthn/register/verify', { response: key.register(last, { origin: ORIGIN }) }, access)).status).toBe(200);
    // With a factor now, a password-only token may not add another.
    const again = await f.call('/v1/mfa/webauthn/register/options', undefined, access);
    expectError(again, 403, 'access_denied');
    expect(again.body['reason']).toBe('recent_mfa_required');
  });

  it('login refusals: a malformed or unknown mfa_token, another method, no passkey, a tampered clientDataJSON, a wrong origin', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    expectError(await f.call('/v1/mfa/challenge', { mfa_token: 'nope', method: 'webauthn' }), 401, 'invalid_grant');
    expectError(await f.call('/v1/mfa/challenge', { mfa_token: `mfa.acme.${'A'.repeat(43)}`, method: 'webauthn' }), 401, 'invalid_grant');
    const { key } = await withPasskey(f, 'cy@example.com');
    const { token, options } = await challenge(f, 'cy@example.com');
    expectError(await f.call('/v1/mfa/challenge', { mfa_token: token, method: 'totp' }), 400, 'invalid_request');
    const tampered = withClientData(key.assert(options, { origin: ORIGIN }), (c) => ({ ...c, origin: 'http://localhost:8080', tokenBinding: 'x' }));
    expectError(await f.call('/v1/mfa/verify', { mfa_token: token, method: 'webauthn', response: tampered }), 401, 'invalid_grant');
    const second = await challenge(f, 'cy@example.com');
    expectError(await f.call('/v1/mfa/verify', { mfa_token: second.token, method: 'webauthn', response: key.assert(second.options, { origin: 'https://evil.example' }) }), 401, 'invalid_grant');
    // A TOTP user (no passkey) asking for a WebAuthn challenge.
    await f.enrolledUser('acme', 'dan@example.com');
    const dan = await f.passwordLogin('acme', 'dan@example.com');
    expectError(await f.call('/v1/mfa/challenge', { mfa_token: dan.body['mfa_token'], method: 'webauthn' }), 400, 'invalid_request');
  });

  it('webauthn_required_for_roles: an assertion without user verification is refused, one with it passes', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu', { mfa: { webauthn_required_for_roles: ['admin'] } });
    const { key } = await withPasskey(f, 'eve@example.com', ['admin']);
    const first = await challenge(f, 'eve@example.com');
    expect(first.options['userVerification']).toBe('required');
    expectError(await f.call('/v1/mfa/verify', { mfa_token: first.token, method: 'webauthn', response: key.assert(first.options, { origin: ORIGIN, userVerified: false }) }), 401, 'invalid_grant');
    const second = await challenge(f, 'eve@example.com');
    const ok = await f.call('/v1/mfa/verify', { mfa_token: second.token, method: 'webauthn', response: key.assert(second.options, { origin: ORIGIN }) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(claimsOf(ok.body['access_token'] as string)['amr']).toEqual(['pwd', 'hwk']);
  });
});
