/**
 * Test helper: the `token` routes (login) and the `mfa-verify` routes over the
 * same in-memory stores, key ring and fixed clock, with the real MFA crypto
 * adapters over an in-memory secret source (`shared/testing/mfa-world.ts`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createEnvelopeCipher } from '../../../shared/adapters/crypto/envelope-cipher.ts';
import { nodeMfaCrypto } from '../../../shared/adapters/crypto/mfa-crypto.ts';
import { createSecretKeyRing } from '../../../shared/adapters/crypto/secret-key-ring.ts';
import { cryptoRandom } from '../../../shared/adapters/local/clock.ts';
import { platformEpochSource } from '../../../shared/adapters/store/revocation-repo.ts';
import type { MfaDeps } from '../../../shared/domain/mfa/mfa-deps.ts';
import type { RiskDeps } from '../../../shared/domain/mfa/risk/risk-deps.ts';
import { sessionIsLive } from '../../../shared/domain/sessions/session-is-live.ts';
import { totpAt } from '../../../shared/domain/mfa/totp.ts';
import { errorResponse } from '../../../shared/http/envelope.ts';
import { parseTrustedProxies } from '../../../shared/http/client-ip.ts';
import { router } from '../../../shared/http/router.ts';
import type { HttpResponse } from '../../../shared/http/types.ts';
import { createLogger } from '../../../shared/log.ts';
import { KEK_NAME, memorySecretSource, PEPPER_NAME } from '../../../shared/testing/mfa-world.ts';
import { AUDIENCE, ISSUER, loginBody, loginFixture, type LoginFixtureOptions } from '../../token/testing/login-fixture.ts';
import { createMfaBearer } from '../mfa-bearer.ts';
import { mfaVerifyRoutes } from '../routes.ts';

/** A response as a client sees it. */
export type Answer = HttpResponse & { readonly body: Record<string, unknown> };

/** Builds the fixture. `risk` wires adaptive MFA into the login and `recordSighting` into verify. */
export function mfaVerifyFixture(options: LoginFixtureOptions = {}) {
  const login = loginFixture(options);
  const { stores, clock, keyRing } = login;
  const source = memorySecretSource({
    [KEK_NAME]: new Uint8Array(randomBytes(32)),
    [PEPPER_NAME]: new TextEncoder().encode(randomBytes(32).toString('base64url')),
  });
  const mfa: MfaDeps = {
    uow: stores.uow,
    directory: stores.directory,
    clock,
    random: cryptoRandom,
    crypto: nodeMfaCrypto,
    cipher: createEnvelopeCipher(createSecretKeyRing(source, { current: KEK_NAME })),
    recoveryPepper: createSecretKeyRing(source, { current: PEPPER_NAME }),
  };
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'mfa-verify', level: 'DEBUG', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const risk: RiskDeps | undefined = options.risk?.(clock);
  const handler = router(
    mfaVerifyRoutes({
      mfa,
      verifyBearer: createMfaBearer({
        keyRing,
        clock,
        issuer: ISSUER,
        audience: AUDIENCE,
        checkSession: sessionIsLive({ uow: stores.uow, directory: stores.directory, clock, platformEpochs: platformEpochSource(stores.databases.platform, { clock }) }),
      }),
      log,
      keyRing,
      issuer: ISSUER,
      audience: AUDIENCE,
      trustedProxies: parseTrustedProxies('127.0.0.1/32'),
      totpIssuer: 'Melmastoon',
      ...(risk === undefined ? {} : { risk }),
    }),
  );

  /** POSTs to an mfa-verify route, with `bearer` as `Authorization: Bearer`. */
  async function call(path: string, body?: unknown, bearer?: string, peer = '198.51.100.10'): Promise<Answer> {
    const raw = body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
    const requestId = `req-${randomUUID()}`;
    const res = await handler({
      method: 'POST',
      path,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'content-length': String(raw.length),
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      },
      query: new URLSearchParams(),
      rawBody: raw,
      requestId,
      trace: undefined,
      params: {},
      remoteAddress: peer,
    }).catch((e: unknown) => errorResponse(e, requestId, log));
    return res as Answer;
  }

  /** The current TOTP code of a base32 secret (what `oathtool --totp -b` prints). */
  async function codeOf(base32: string, atMs = clock.now()): Promise<string> {
    const key = nodeMfaCrypto.base32Decode(base32);
    if (key === undefined) throw new Error('bad base32');
    return totpAt(nodeMfaCrypto, { algorithm: 'SHA1', key, digits: 6, period: 30 }, atMs);
  }

  /** Logs in with the password; returns the answer. */
  const passwordLogin = (tenantId: string, email: string, extra: Record<string, unknown> = {}): Promise<Answer> =>
    login.post('/v1/login', loginBody(tenantId, email, undefined, extra)) as Promise<Answer>;

  /**
   * A user with a confirmed TOTP factor, enrolled through the routes with a
   * first login's access token. Returns the secret (base32). The clock moves
   * one step on, so the next code is fresh.
   */
  async function enrolledUser(tenantId: string, email: string, roles: readonly string[] = ['member']) {
    const user = await login.addUser({ tenantId, email, roles });
    const first = await passwordLogin(tenantId, email);
    if (first.status !== 200) throw new Error(`first login: ${first.status} ${JSON.stringify(first.body)}`);
    const access = first.body['access_token'] as string;
    const enrolled = await call('/v1/mfa/totp/enroll', undefined, access);
    if (enrolled.status !== 200) throw new Error(`enrol: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
    const secret = enrolled.body['secret'] as string;
    const confirmed = await call('/v1/mfa/totp/confirm', { code: await codeOf(secret) }, access);
    if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
    clock.advance(30_000);
    return { user, secret, access };
  }

  return { ...login, mfa, logs, mfaLogs: logs, call, codeOf, passwordLogin, enrolledUser, risk };
}
