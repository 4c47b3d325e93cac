/**
 * Acceptance (issue 5, WebAuthn): a real browser registers a passkey and
 * finishes an MFA login through the local edge. Debian's Chromium, driven by
 * playwright-core, with a CDP virtual authenticator (CTAP2, internal, resident
 * key, user verification). The token and mfa-verify functions run as Cloud
 * Run runs them (functions-framework processes) on the Firestore emulator.
 *
 * The page is a document of the edge loaded from `http://localhost:<port>`:
 * the RP ID of a loopback edge is `localhost` (an IP address cannot be one),
 * and the tenant's default origins allow `http://localhost:<port>`.
 * The API calls go from the test; only `navigator.credentials` runs in the
 * page, so the client data carries the page's real origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../scripts/stack/edge.ts';
import { startFunction, waitForAnswer } from '../../scripts/stack/functions.ts';
import { freePort, type Managed } from '../../scripts/stack/processes.ts';
import { ensureLocalMfaSecrets } from '../../shared/adapters/crypto/mfa-secrets.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { createArgon2Hasher } from '../../shared/adapters/node/argon2-hasher.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import type { User } from '../../shared/domain/accounts/user.ts';
import { fillPolicyDefaults, type PolicyInput, type Tenant } from '../../shared/domain/tenants/tenant.ts';
import { addVirtualAuthenticator, launchChromium, type TestBrowser, type VirtualAuthenticator } from '../../shared/testing/browser.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';
const projectId = testProjectId('webauthn');
const hasher = createArgon2Hasher({ version: 1 });
const output: string[] = [];
let edge: Edge;
let fns: Managed[] = [];
let stores: Stores;
let issuer: string;
let pageOrigin: string;
let secretsDir: string;

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function post(target: string, body: unknown, bearer?: string): Promise<Reply> {
  const res = await fetch(`${issuer}${target}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const why = (r: Reply): string => `${JSON.stringify(r.body)}\n${output.slice(-15).join('\n')}`;

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function seedTenant(tenantId: string, input: PolicyInput): Promise<void> {
  const policy = fillPolicyDefaults(input, { publicOrigin: issuer });
  if (typeof policy === 'string') throw new Error(policy);
  const now = new Date().toISOString();
  await stores.directory.claim(tenantId, 'eu', now);
  const tenant: Tenant = { tenant_id: tenantId, region: 'eu', policy, version: 1, created_at: now, updated_at: now };
  await stores.uow.run('eu', async (tx) => tx.tenants.put(tenant));
}

async function addUser(tenantId: string, email: string): Promise<User> {
  const now = new Date().toISOString();
  const user: User = {
    user_id: crypto.randomUUID(),
    tenant_id: tenantId,
    email,
    roles: ['member'],
    status: 'active',
    password: { phc: await hasher.hash(PASSWORD), hash_version: hasher.version, changed_at: now },
    mfa_methods: [],
    created_at: now,
    updated_at: now,
    created_by: { type: 'admin', id: 'acceptance' },
    last_login_at: null,
  };
  await stores.uow.run('eu', async (tx) => tx.users.create(user));
  return user;
}

const login = (tenantId: string, email: string) => post('/v1/login', { tenant_id: tenantId, email, password: PASSWORD, client_id: 'acceptance' });

/** What the page offers (the project compiles without the DOM library, so the types are spelled out here). */
interface PageGlobals {
  readonly PublicKeyCredential: { parseCreationOptionsFromJSON(json: unknown): unknown; parseRequestOptionsFromJSON(json: unknown): unknown };
  readonly navigator: { readonly credentials: { create(o: { publicKey: unknown }): Promise<{ toJSON(): unknown }>; get(o: { publicKey: unknown }): Promise<{ toJSON(): unknown }> } };
  readonly location: { readonly origin: string };
  readonly isSecureContext: boolean;
}

/** `navigator.credentials.create` in the page with options JSON; the credential's `toJSON()`. */
function create(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (json) => {
    const w = globalThis as unknown as PageGlobals;
    const credential = await w.navigator.credentials.create({ publicKey: w.PublicKeyCredential.parseCreationOptionsFromJSON(json) });
    return credential.toJSON() as Record<string, unknown>;
  }, options);
}

/** `navigator.credentials.get` in the page with options JSON; the assertion's `toJSON()`. */
function get(page: Page, options: unknown): Promise<Record<string, unknown>> {
  return page.evaluate(async (json) => {
    const w = globalThis as unknown as PageGlobals;
    const credential = await w.navigator.credentials.get({ publicKey: w.PublicKeyCredential.parseRequestOptionsFromJSON(json) });
    return credential.toJSON() as Record<string, unknown>;
  }, options);
}

/** Password, then the WebAuthn challenge of the new `mfa_token` answered by the page: the token and the assertion. */
async function passwordThenAssertion(page: Page, tenantId: string, email: string): Promise<{ mfaToken: string; assertion: Record<string, unknown> }> {
  const first = await login(tenantId, email);
  expect(first.status, why(first)).toBe(401);
  expect(first.body).toMatchObject({ error: 'mfa_required' });
  expect(first.body['methods']).toContain('webauthn');
  const mfaToken = first.body['mfa_token'] as string;
  const challenge = await post('/v1/mfa/challenge', { mfa_token: mfaToken, method: 'webauthn' });
  expect(challenge.status, why(challenge)).toBe(200);
  expect(challenge.body).toMatchObject({ rpId: 'localhost', userVerification: 'preferred' });
  return { mfaToken, assertion: await get(page, challenge.body) };
}

/** A copy of `response` whose client data is rewritten by `edit` (the signature no longer covers it). */
function withClientData(response: Record<string, unknown>, edit: (clientData: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown> {
  const inner = response['response'] as Record<string, unknown>;
  const clientData = JSON.parse(Buffer.from(inner['clientDataJSON'] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  const tampered = Buffer.from(JSON.stringify(edit(clientData))).toString('base64url');
  return { ...response, response: { ...inner, clientDataJSON: tampered } };
}

beforeAll(async () => {
  const [tokenPort, mfaPort] = [await freePort(), await freePort()];
  const upstreams: Record<string, number> = { token: tokenPort, 'mfa-verify': mfaPort };
  edge = await startEdge({ httpPort: 0, upstream: (name) => (upstreams[name] === undefined ? undefined : { host: '127.0.0.1', port: upstreams[name] }) });
  issuer = edge.httpUrl.replace(/\/$/, '');
  pageOrigin = `http://localhost:${new URL(issuer).port}`;
  secretsDir = mkdtempSync(path.join(os.tmpdir(), 'iam-webauthn-secrets-'));
  ensureLocalMfaSecrets(secretsDir);
  const env = testEnv(projectId, { IAM_ISSUER: issuer, IAM_LOCAL_SECRETS_DIR: secretsDir });
  const base = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env };
  for (const [name, port] of Object.entries(upstreams)) {
    const fn = startFunction({ root: ROOT, name, port, env: base, onLine: (l) => output.push(`${name}: ${l}`) });
    fns.push(fn);
  }
  await Promise.all(
    Object.entries(upstreams).map(([name, port], i) => {
      let dead = false;
      fns[i]?.child.once('exit', () => (dead = true));
      return waitForAnswer(`http://127.0.0.1:${port}/${name === 'token' ? '.well-known/jwks.json' : ''}`, 30_000, () => dead);
    }),
  );
  stores = createFirestoreStores(loadConfig(env));
  await seedTenant('acme', {});
  // A tenant whose origins do not include the page's: every ceremony from the page has the wrong origin.
  await seedTenant('beta', { webauthn: { rp_id: 'localhost', origins: ['https://id.beta.example'] } });
}, 90_000);

afterAll(async () => {
  await Promise.allSettled(fns.map((f) => f.stop()));
  fns = [];
  await edge?.close();
  await terminateFirestoreClients();
  rmSync(secretsDir, { recursive: true, force: true });
});

describe('acceptance: a passkey in Chromium, registered and used through the edge', () => {
  it('registers a passkey, logs in with it (amr has hwk), refuses a replayed or tampered assertion and a wrong origin', async () => {
    const alice = await addUser('acme', 'alice@example.com');
    const bob = await addUser('beta', 'bob@example.com');
    let chrome: TestBrowser | undefined;
    try {
      chrome = await launchChromium();
      const page = await chrome.newPage();
      await page.goto(`${pageOrigin}/.well-known/jwks.json`);
      expect(await page.evaluate(() => [(globalThis as unknown as PageGlobals).location.origin, (globalThis as unknown as PageGlobals).isSecureContext])).toEqual([pageOrigin, true]);
      const authenticator: VirtualAuthenticator = await addVirtualAuthenticator(page);

      // Registration with a password session's access token.
      const session = await login('acme', alice.email);
      expect(session.status, why(session)).toBe(200);
      const bearer = session.body['access_token'] as string;
      const creation = await post('/v1/mfa/webauthn/register/options', {}, bearer);
      expect(creation.status, why(creation)).toBe(200);
      expect(creation.body).toMatchObject({ rp: { id: 'localhost' }, attestation: 'none' });
      const registration = await create(page, creation.body);
      // A tampered clientDataJSON (another challenge) is refused and consumes the challenge.
      const forged = await post('/v1/mfa/webauthn/register/verify', { response: withClientData(registration, (c) => ({ ...c, challenge: 'AAAA' })) }, bearer);
      expect(forged.status, why(forged)).toBe(400);
      expect(forged.body['error']).toBe('invalid_request');
      const again = await post('/v1/mfa/webauthn/register/verify', { response: registration }, bearer);
      expect(again.status, why(again)).toBe(400);
      expect(again.body['error']).toBe('invalid_request');
      // With fresh options the browser registers a passkey.
      const options = await post('/v1/mfa/webauthn/register/options', {}, bearer);
      const passkey = await create(page, options.body);
      const registered = await post('/v1/mfa/webauthn/register/verify', { response: passkey }, bearer);
      expect(registered.status, why(registered)).toBe(200);
      expect(registered.body).toMatchObject({ method: 'webauthn', mfa_methods: ['webauthn'] });
      // CDP reports credential ids in base64; the response carries base64url.
      const stored = (await authenticator.credentials()).map((c) => Buffer.from(c.credentialId, 'base64').toString('base64url'));
      expect(stored).toContain(passkey['id']);
      // Now that alice has a factor, a password-only token may not add another passkey.
      const twice = await post('/v1/mfa/webauthn/register/options', {}, bearer);
      expect(twice.status, why(twice)).toBe(403);
      expect(twice.body).toMatchObject({ error: 'access_denied', reason: 'recent_mfa_required' });

      // Login: password -> mfa_required -> challenge -> navigator.credentials.get -> verify.
      const { mfaToken, assertion } = await passwordThenAssertion(page, 'acme', alice.email);
      const verified = await post('/v1/mfa/verify', { mfa_token: mfaToken, method: 'webauthn', response: assertion });
      expect(verified.status, why(verified)).toBe(200);
      const claims = claimsOf(verified.body['access_token'] as string);
      expect(claims['amr']).toEqual(expect.arrayContaining(['pwd', 'hwk']));
      expect(claims['sub']).toBe(alice.user_id);

      // The same assertion again, with the same mfa_token, then with a new mfa_token and challenge: refused.
      const replayed = await post('/v1/mfa/verify', { mfa_token: mfaToken, method: 'webauthn', response: assertion });
      expect(replayed.status, why(replayed)).toBe(401);
      expect(replayed.body['error']).toBe('invalid_grant');
      const next = await passwordThenAssertion(page, 'acme', alice.email);
      const replayedLater = await post('/v1/mfa/verify', { mfa_token: next.mfaToken, method: 'webauthn', response: assertion });
      expect(replayedLater.status, why(replayedLater)).toBe(401);
      expect(replayedLater.body['error']).toBe('invalid_grant');

      // A tampered clientDataJSON (another origin) is refused; a fresh assertion finishes the login.
      const third = await passwordThenAssertion(page, 'acme', alice.email);
      const tampered = await post('/v1/mfa/verify', {
        mfa_token: third.mfaToken,
        method: 'webauthn',
        response: withClientData(third.assertion, (c) => ({ ...c, origin: 'https://evil.example' })),
      });
      expect(tampered.status, why(tampered)).toBe(401);
      expect(tampered.body['error']).toBe('invalid_grant');
      const fourth = await passwordThenAssertion(page, 'acme', alice.email);
      const ok = await post('/v1/mfa/verify', { mfa_token: fourth.mfaToken, method: 'webauthn', response: fourth.assertion });
      expect(ok.status, why(ok)).toBe(200);
      expect(claimsOf(ok.body['access_token'] as string)['amr']).toContain('hwk');

      // Wrong origin: the page is not among beta's origins, so its registration is refused.
      const bobSession = await login('beta', bob.email);
      expect(bobSession.status, why(bobSession)).toBe(200);
      const bobOptions = await post('/v1/mfa/webauthn/register/options', {}, bobSession.body['access_token'] as string);
      const bobKey = await create(page, bobOptions.body);
      const wrongOrigin = await post('/v1/mfa/webauthn/register/verify', { response: bobKey }, bobSession.body['access_token'] as string);
      expect(wrongOrigin.status, why(wrongOrigin)).toBe(400);
      expect(wrongOrigin.body['error']).toBe('invalid_request');
    } finally {
      await chrome?.close();
    }
  }, 90_000);
});
