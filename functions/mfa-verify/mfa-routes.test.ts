import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createRefreshGraceCipher, DEFAULT_REFRESH_GRACE_KEK_SECRET } from '../../shared/adapters/crypto/refresh-grace-secrets.ts';
import { cryptoRandom } from '../../shared/adapters/local/clock.ts';
import { openRiskEngine } from '../../shared/adapters/risk/open-risk-engine.ts';
import { parseRiskConfig } from '../../shared/adapters/risk/risk-config.ts';
import { platformEpochSource } from '../../shared/adapters/store/revocation-repo.ts';
import type { RiskClassifier } from '../../shared/domain/ports.ts';
import { revokeSession } from '../../shared/domain/sessions/revoke-session.ts';
import { rotateRefreshToken } from '../../shared/domain/sessions/rotate-refresh-token.ts';
import { memorySecretSource } from '../../shared/testing/mfa-world.ts';
import { createBearerVerifier } from '../../shared/http/bearer.ts';
import { router } from '../../shared/http/router.ts';
import { errorResponse } from '../../shared/http/envelope.ts';
import { createLogger, silentLogger } from '../../shared/log.ts';
import { sessionRoutes } from '../refresh/session-routes.ts';
import { AUDIENCE, ISSUER, loginBody, withoutRequestId } from '../token/testing/login-fixture.ts';
import { createMemoryStores } from '../../shared/adapters/memory/stores.ts';
import { mfaVerifyFixture, type Answer } from './testing/mfa-verify-fixture.ts';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateClaims = ajv.compile(JSON.parse(readFileSync('contracts/claims/access-token.v1.schema.json', 'utf8')) as object);

function claimsOf(token: string): Record<string, unknown> {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  expect(validateClaims({ header: decodeProtectedHeader(token), payload }), JSON.stringify(validateClaims.errors)).toBe(true);
  return payload;
}

async function mfaToken(f: ReturnType<typeof mfaVerifyFixture>, email: string, tenantId = 'acme'): Promise<string> {
  const r = await f.passwordLogin(tenantId, email);
  expect(r.status, JSON.stringify(r.body)).toBe(401);
  expect(r.body['error']).toBe('mfa_required');
  return r.body['mfa_token'] as string;
}

function expectError(r: Answer, status: number, code: string): void {
  expect({ status: r.status, error: r.body['error'] }, JSON.stringify(r.body)).toEqual({ status, error: code });
}

describe('TOTP through the routes: enrol, confirm, finish a login', () => {
  it('enrol returns a base32 secret and an otpauth URI; confirm activates; the next login needs MFA and a code finishes it with amr pwd+otp', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret, user } = await f.enrolledUser('acme', 'bob@example.com');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect((await f.user('acme', user.user_id))?.mfa_methods).toEqual(['totp']);

    const token = await mfaToken(f, 'bob@example.com');
    const ok = await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: await f.codeOf(secret) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.headers?.['cache-control']).toBe('no-store');
    expect(Object.keys(ok.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'session_id', 'token_type']);
    const claims = claimsOf(ok.body['access_token'] as string);
    expect(claims['amr']).toEqual(['pwd', 'otp']);
    expect(claims['acr']).toBe('urn:melmastoon:acr:mfa');
    expect(claims['sub']).toBe(user.user_id);
    expect(claims['aud']).toBe(AUDIENCE);
    expect(claims['sid']).toBe(ok.body['session_id']);
    expect((await f.user('acme', user.user_id))?.last_login_at).not.toBeNull();

    // the mfa_token is spent
    const again = await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: await f.codeOf(secret) });
    expectError(again, 401, 'invalid_grant');
    // the same code with a fresh mfa_token: replay, refused
    const replay = await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: await f.codeOf(secret) });
    expectError(replay, 401, 'invalid_grant');
    // the next step's code works
    f.clock.advance(30_000);
    const next = await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: await f.codeOf(secret) });
    expect(next.status).toBe(200);
  });

  it("a revoked session's access token changes no factor, though it still verifies for its 15 minutes", async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const user = await f.addUser({ tenantId: 'acme', email: 'ann@example.com' });
    const login = await f.passwordLogin('acme', 'ann@example.com');
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const access = login.body['access_token'] as string;
    expect((await f.call('/v1/mfa/totp/enroll', undefined, access)).status).toBe(200);

    const revoked = await revokeSession(
      { uow: f.stores.uow, directory: f.stores.directory, clock: f.clock, random: cryptoRandom },
      { tenantId: 'acme', userId: user.user_id, sessionId: login.body['session_id'] as string, requestId: null },
    );
    expect(revoked).toMatchObject({ ok: true, value: { revoked: true } });
    for (const route of ['/v1/mfa/totp/enroll', '/v1/mfa/recovery-codes', '/v1/mfa/webauthn/register/options']) {
      expectError(await f.call(route, undefined, access), 401, 'invalid_token');
    }
    expectError(await f.call('/v1/mfa/totp/confirm', { code: '123456' }, access), 401, 'invalid_token');
  });

  it('the otpauth URI names the issuer and the account; confirm refuses a wrong and a malformed code', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    await f.addUser({ tenantId: 'acme', email: 'ann@example.com' });
    const access = (await f.passwordLogin('acme', 'ann@example.com')).body['access_token'] as string;
    const enrolled = await f.call('/v1/mfa/totp/enroll', undefined, access);
    expect(enrolled.status).toBe(200);
    expect(enrolled.body['otpauth_uri']).toBe(
      `otpauth://totp/Melmastoon:ann%40example.com?secret=${String(enrolled.body['secret'])}&issuer=Melmastoon&algorithm=SHA1&digits=6&period=30`,
    );
    const secret = enrolled.body['secret'] as string;
    const good = await f.codeOf(secret);
    const wrong = good === '000000' ? '000001' : '000000';
    expectError(await f.call('/v1/mfa/totp/confirm', { code: wrong }, access), 401, 'invalid_grant');
    expectError(await f.call('/v1/mfa/totp/confirm', { code: '12 345' }, access), 400, 'invalid_request');
    expectError(await f.call('/v1/mfa/totp/confirm', { code: good, extra: 1 }, access), 400, 'invalid_request');
    expectError(await f.call('/v1/mfa/totp/confirm', { code: good }), 401, 'invalid_token');
    expectError(await f.call('/v1/mfa/totp/enroll', { surprise: true }, access), 400, 'invalid_request');
    expect((await f.call('/v1/mfa/totp/confirm', { code: good }, access)).status).toBe(200);
  });

  it('re-enrolling, or generating recovery codes, once a factor is confirmed needs a second factor within 5 minutes', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret, access: pwdOnly } = await f.enrolledUser('acme', 'bob@example.com');
    const refused = await f.call('/v1/mfa/totp/enroll', undefined, pwdOnly);
    expectError(refused, 403, 'access_denied');
    expect(refused.body['reason']).toBe('recent_mfa_required');
    expectError(await f.call('/v1/mfa/recovery-codes', undefined, pwdOnly), 403, 'access_denied');

    const mfa = await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: await f.codeOf(secret) });
    const recent = mfa.body['access_token'] as string;
    expect((await f.call('/v1/mfa/recovery-codes', undefined, recent)).status).toBe(200);
    expect((await f.call('/v1/mfa/totp/enroll', undefined, recent)).status).toBe(200);
    f.clock.advance(5 * 60_000 + 1_000);
    // still a valid access token (15 min), but the second factor is no longer recent
    expectError(await f.call('/v1/mfa/totp/enroll', undefined, recent), 403, 'access_denied');
  });

  it('a token refreshed after the 5 minutes is no recent MFA: a stolen refresh token cannot swap factors', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const mfa = await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: await f.codeOf(secret) });
    expect(mfa.status, JSON.stringify(mfa.body)).toBe(200);
    const first = claimsOf(mfa.body['access_token'] as string);
    expect(first['auth_time']).toBe(first['iat']);

    f.clock.advance(6 * 60_000);
    const rotated = await rotateRefreshToken(
      {
        uow: f.stores.uow,
        directory: f.stores.directory,
        clock: f.clock,
        random: cryptoRandom,
        keyRing: f.keyRing,
        issuer: ISSUER,
        audience: AUDIENCE,
        graceCipher: createRefreshGraceCipher(memorySecretSource({ [DEFAULT_REFRESH_GRACE_KEK_SECRET]: new Uint8Array(randomBytes(32)) })),
        platformEpochs: platformEpochSource(f.stores.databases.platform, { clock: f.clock }),
        risk: undefined,
      },
      { refreshToken: mfa.body['refresh_token'] as string, clientId: 'web-app', client: { ip: '127.0.0.1', maskedIp: '127.0.0.0/24', userAgent: undefined, requestId: 'r1' } },
    );
    if (!rotated.ok || rotated.value.kind !== 'tokens') throw new Error(`refresh refused: ${JSON.stringify(rotated)}`);
    const refreshed = rotated.value.body.access_token;
    const claims = claimsOf(refreshed);
    // Signed now, with the login's factors, and the login's auth_time.
    expect(claims['amr']).toEqual(['pwd', 'otp']);
    expect(claims['iat']).toBe((first['iat'] as number) + 360);
    expect(claims['auth_time']).toBe(first['auth_time']);
    expectError(await f.call('/v1/mfa/recovery-codes', undefined, refreshed), 403, 'access_denied');
    expectError(await f.call('/v1/mfa/totp/enroll', undefined, refreshed), 403, 'access_denied');
    expectError(await f.call('/v1/mfa/webauthn/register/options', undefined, refreshed), 403, 'access_denied');
  });
});

describe('recovery codes through the routes', () => {
  it('10 codes shown once; one finishes a login with amr pwd+rec, once; regenerating voids the old set', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const mfa = await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: await f.codeOf(secret) });
    const generated = await f.call('/v1/mfa/recovery-codes', undefined, mfa.body['access_token'] as string);
    expect(generated.status).toBe(200);
    expect(generated.headers?.['cache-control']).toBe('no-store');
    const codes = generated.body['codes'] as string[];
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);

    const offered = await f.passwordLogin('acme', 'bob@example.com');
    expect(offered.body['methods']).toEqual(['totp', 'recovery_code']);
    const used = await f.call('/v1/mfa/verify', { mfa_token: offered.body['mfa_token'], method: 'recovery_code', recovery_code: (codes[0] ?? '').toLowerCase() });
    expect(used.status, JSON.stringify(used.body)).toBe(200);
    const claims = claimsOf(used.body['access_token'] as string);
    expect(claims['amr']).toEqual(['pwd', 'rec']);
    expect(claims['acr']).toBe('urn:melmastoon:acr:mfa');

    expectError(await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'recovery_code', recovery_code: codes[0] }), 401, 'invalid_grant');

    const fresh = used.body['access_token'] as string;
    const regenerated = await f.call('/v1/mfa/recovery-codes', undefined, fresh);
    expect(regenerated.status).toBe(200);
    expectError(await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'recovery_code', recovery_code: codes[1] }), 401, 'invalid_grant');
    const newCodes = regenerated.body['codes'] as string[];
    expect((await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'recovery_code', recovery_code: newCodes[0] })).status).toBe(200);
  });

  it('recovery codes need a confirmed factor (400) and an ordinary Bearer (401 without)', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    await f.addUser({ tenantId: 'acme', email: 'ann@example.com' });
    const access = (await f.passwordLogin('acme', 'ann@example.com')).body['access_token'] as string;
    expectError(await f.call('/v1/mfa/recovery-codes', undefined, access), 400, 'invalid_request');
    expectError(await f.call('/v1/mfa/recovery-codes'), 401, 'invalid_token');
    expectError(await f.call('/v1/mfa/recovery-codes', undefined, 'not.a.token'), 401, 'invalid_token');
  });
});

describe('POST /v1/mfa/verify: every bad input is a 4xx with a code', () => {
  it('wrong formats, unknown method, missing and extra fields: 400 invalid_request, nothing counted', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const token = await mfaToken(f, 'bob@example.com');
    const bad: readonly unknown[] = [
      { mfa_token: token, method: 'totp', code: '12345' },
      { mfa_token: token, method: 'totp', code: '1234567' },
      { mfa_token: token, method: 'totp', code: 'abcdef' },
      { mfa_token: token, method: 'totp', code: '１２３４５６' },
      { mfa_token: token, method: 'totp', code: 123456 },
      { mfa_token: token, method: 'recovery_code', recovery_code: 'short' },
      { mfa_token: token, method: 'sms', code: '123456' },
      { mfa_token: token, code: '123456' },
      { mfa_token: token, method: 'totp' },
      { mfa_token: token, method: 'recovery_code', code: '123456' },
      { mfa_token: token, method: 'totp', code: '123456', recovery_code: 'AAAAA-BBBBB' },
      { method: 'totp', code: '123456' },
      { mfa_token: token, method: 'webauthn' },
      { mfa_token: 42, method: 'totp', code: '123456' },
    ];
    for (const body of bad) expectError(await f.call('/v1/mfa/verify', body), 400, 'invalid_request');
    expectError(await f.call('/v1/mfa/verify', '{"mfa_token":'), 400, 'invalid_json');
    // none of them counted: the token still finishes the login
    expect((await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: await f.codeOf(secret) })).status).toBe(200);
  });

  it('an unknown, forged, expired or reused mfa_token: 401 invalid_grant, the same answer', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const code = await f.codeOf(secret);
    const answers: Answer[] = [];
    for (const mfa_token of ['garbage', `mfa.acme.${'A'.repeat(43)}`, `mfa.nosuch.${'A'.repeat(43)}`, `rt.acme.${'A'.repeat(43)}`]) {
      answers.push(await f.call('/v1/mfa/verify', { mfa_token, method: 'totp', code }));
    }
    const expiring = await mfaToken(f, 'bob@example.com');
    f.clock.advance(5 * 60_000 + 1);
    answers.push(await f.call('/v1/mfa/verify', { mfa_token: expiring, method: 'totp', code: await f.codeOf(secret) }));
    for (const a of answers) expectError(a, 401, 'invalid_grant');
    expect(new Set(answers.map((a) => a.body['error_description'])).size).toBe(1);
  });

  it('a wrong code is 401 invalid_grant; after 5 wrong codes the mfa_token is spent, even for the right code', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const token = await mfaToken(f, 'bob@example.com');
    const good = await f.codeOf(secret);
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) expectError(await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: wrong }), 401, 'invalid_grant');
    expectError(await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: good }), 401, 'invalid_grant');
    // a new token works (the user limit is 10)
    expect((await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: good })).status).toBe(200);
  });

  it('10 failures across tokens lock the user: 429 rate_limited with retry_after', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const good = await f.codeOf(secret);
    const wrong = String((Number(good) + 500_000) % 1_000_000).padStart(6, '0');
    for (let t = 0; t < 2; t++) {
      const token = await mfaToken(f, 'bob@example.com');
      for (let i = 0; i < 5; i++) await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: wrong });
    }
    const locked = await f.call('/v1/mfa/verify', { mfa_token: await mfaToken(f, 'bob@example.com'), method: 'totp', code: good });
    expectError(locked, 429, 'rate_limited');
    expect(locked.body['retry_after']).toBeGreaterThan(0);
  });

  it('method webauthn for a user without a passkey: 403 access_denied naming the offered methods, the token stays usable', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const token = await mfaToken(f, 'bob@example.com');
    const r = await f.call('/v1/mfa/verify', { mfa_token: token, method: 'webauthn', response: { id: 'x' } });
    expectError(r, 403, 'access_denied');
    expect(r.body['methods']).toEqual(['totp']);
    expect((await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: await f.codeOf(secret) })).status).toBe(200);
  });
});

describe('policy mandates', () => {
  it('required_for_roles without a factor: 403 mfa_enrollment_required; the enrollment token enrols TOTP and nothing else', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu', { mfa: { required_for_roles: ['admin'] } });
    const admin = await f.addUser({ tenantId: 'acme', email: 'admin@example.com', roles: ['admin'] });
    const r = await f.passwordLogin('acme', 'admin@example.com');
    expectError(r, 403, 'mfa_enrollment_required');
    expect(r.body['methods']).toEqual(['totp', 'webauthn']);
    const enrollment = r.body['enrollment_token'] as string;
    const claims = claimsOf(enrollment);
    expect(claims).toMatchObject({ aud: `${AUDIENCE}#mfa_enroll`, roles: [], amr: ['pwd'], sub: admin.user_id, tid: 'acme' });

    // every other Bearer route refuses it: the shared verifier, the session routes, recovery codes
    await expect(createBearerVerifier({ keyRing: f.keyRing, clock: f.clock, issuer: ISSUER, audience: AUDIENCE })({ headers: { authorization: `Bearer ${enrollment}` } })).rejects.toMatchObject({
      code: 'invalid_token',
    });
    const sessions = router(
      sessionRoutes({
        uow: f.stores.uow,
        directory: f.stores.directory,
        clock: f.clock,
        random: cryptoRandom,
        platformEpochs: platformEpochSource(f.stores.databases.platform, { clock: f.clock }),
        verifyBearer: createBearerVerifier({ keyRing: f.keyRing, clock: f.clock, issuer: ISSUER, audience: AUDIENCE }),
        log: silentLogger,
      }),
    );
    const listed = await sessions({
      method: 'GET',
      path: '/v1/sessions',
      headers: { authorization: `Bearer ${enrollment}` },
      query: new URLSearchParams(),
      rawBody: Buffer.alloc(0),
      requestId: 'req-1',
      trace: undefined,
      params: {},
      remoteAddress: '198.51.100.10',
    }).catch((e: unknown) => errorResponse(e, 'req-1', createLogger({ service: 't', write: () => undefined })));
    expect(listed.status).toBe(401);
    expectError(await f.call('/v1/mfa/recovery-codes', undefined, enrollment), 401, 'invalid_token');

    // enrol and confirm with it, then log in with the new factor
    const enrolled = await f.call('/v1/mfa/totp/enroll', undefined, enrollment);
    expect(enrolled.status).toBe(200);
    const secret = enrolled.body['secret'] as string;
    expect((await f.call('/v1/mfa/totp/confirm', { code: await f.codeOf(secret) }, enrollment)).status).toBe(200);
    // once a factor is confirmed the enrollment token cannot swap it
    expectError(await f.call('/v1/mfa/totp/enroll', undefined, enrollment), 403, 'access_denied');
    f.clock.advance(30_000);
    const token = await mfaToken(f, 'admin@example.com');
    const done = await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: await f.codeOf(secret) });
    expect(done.status).toBe(200);
    expect(claimsOf(done.body['access_token'] as string)).toMatchObject({ roles: ['admin'], amr: ['pwd', 'otp'] });
  });

  it('webauthn_required_for_roles: only WebAuthn is offered and a TOTP verify is refused 403, also when the policy changed after the password step', async () => {
    const f = mfaVerifyFixture();
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'root@example.com', ['root']);
    const before = await mfaToken(f, 'root@example.com');
    await f.setPolicy('acme', 'eu', { mfa: { webauthn_required_for_roles: ['root'] } });
    const refused = await f.call('/v1/mfa/verify', { mfa_token: before, method: 'totp', code: await f.codeOf(secret) });
    expectError(refused, 403, 'access_denied');
    expect(refused.body['methods']).toEqual(['webauthn']);
    // the login itself now asks for a passkey enrolment: TOTP does not meet the mandate
    const login = await f.passwordLogin('acme', 'root@example.com');
    expectError(login, 403, 'mfa_enrollment_required');
    expect(login.body['methods']).toEqual(['webauthn']);
  });
});

describe('adaptive MFA at login', () => {
  const lowering: RiskClassifier = { classify: async () => ({ kind: 'ok', score: 0, suggestion: 'lower', model: 'test-lowering' }) };

  /** A fixture whose login (and verify) consult a risk engine with a classifier that always says "lower". */
  function riskyFixture(env: Record<string, string>) {
    const stores = createMemoryStores();
    const config = parseRiskConfig({ IAM_RISK_CACHE_SECONDS: '0', ...env });
    if (typeof config === 'string') throw new Error(config);
    return mfaVerifyFixture({
      stores,
      risk: (clock) => openRiskEngine(config, { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom, log: silentLogger, classifier: lowering }),
    });
  }

  it('a classifier saying "lower" does not lower the rules: velocity at the deny level refuses the right password with 403 access_denied', async () => {
    const f = riskyFixture({ IAM_RISK_VELOCITY_STEP_UP_AT: '2', IAM_RISK_VELOCITY_DENY_AT: '3' });
    await f.seedTenant('acme', 'eu');
    await f.addUser({ tenantId: 'acme', email: 'ann@example.com' });
    const device = { device_id: 'dev-1' };
    // 1st: allow; 2nd: step_up, but ann has no factor and no mandate: allowed (the engine audits it); 3rd: deny
    expect((await f.passwordLogin('acme', 'ann@example.com', device)).status).toBe(200);
    expect((await f.passwordLogin('acme', 'ann@example.com', device)).status).toBe(200);
    const third = await f.passwordLogin('acme', 'ann@example.com', device);
    expectError(third, 403, 'access_denied');
    expect(third.body).not.toHaveProperty('mfa_token');
    // a wrong password and an unknown user still answer alike: risk is consulted only for a right password
    const wrong = await f.post('/v1/login', loginBody('acme', 'ann@example.com', 'not the password'));
    const unknown = await f.post('/v1/login', loginBody('acme', 'nobody@example.com', 'not the password'));
    expectError(wrong, 401, 'invalid_grant');
    expect(withoutRequestId(wrong.body)).toEqual(withoutRequestId(unknown.body));
  });

  it('a step-up for a user with a factor is mfa_required; passing it records the context as trusted', async () => {
    const f = riskyFixture({ IAM_RISK_VELOCITY_STEP_UP_AT: '100', IAM_RISK_VELOCITY_DENY_AT: '200' });
    await f.seedTenant('acme', 'eu');
    const { secret } = await f.enrolledUser('acme', 'bob@example.com');
    const token = await mfaToken(f, 'bob@example.com');
    const ok = await f.call('/v1/mfa/verify', { mfa_token: token, method: 'totp', code: await f.codeOf(secret) });
    expect(ok.status).toBe(200);
    expect(f.mfaLogs.some((l) => String(l['message']).includes('sighting could not be recorded'))).toBe(false);
  });
});
