/**
 * The story `npm run demo` tells against a running stack: tenant, user,
 * login, the token and its verification, refusals, a magic link, then
 * refresh, sessions, revocation and TOTP MFA where those endpoints exist.
 * Every step prints what it sends and what it got; credentials are shortened.
 */
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describeAnswer, notRouted, short, type Answer, type EdgeClient } from './client.ts';
import { runIamctl } from './iamctl.ts';
import { check, NotAvailable, steps, type Steps } from './steps.ts';
import { stepAt, totpCode } from './totp.ts';

/** What the story needs. */
export interface StoryOptions {
  readonly client: EdgeClient;
  /** The `stack.json` iamctl is pointed at. */
  readonly stackFile: string;
  /** `iss` and `aud` the stack's tokens carry. */
  readonly issuer: string;
  readonly audience: string;
  readonly print: (line: string) => void;
  /** The functions the stack has (`stack.json`), running or not. */
  readonly functions: readonly string[];
}

/** A login's token body. */
interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly session_id: string;
}

const CLIENT_ID = 'demo-cli';

/** Runs the story; returns the counts of passed, failed and skipped steps. */
export async function runStory(options: StoryOptions): Promise<Steps['counts']> {
  const { client, stackFile, print } = options;
  const s = steps(print);
  // Not built yet: a 404 from the URL map or a router, or the edge's 503 for a function this checkout does not have.
  const absent = (a: Answer): boolean => {
    const fn = /^the (\S+) function is not running/.exec(String(a.body['error_description']))?.[1];
    return notRouted(a) || (a.status === 503 && fn !== undefined && !options.functions.includes(fn));
  };
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const tenantId = `demo-${suffix}`;
  const email = `ada-${suffix}@example.com`;
  const password = `demo passphrase ${randomBytes(6).toString('hex')}`;
  print(`tenant ${tenantId}, user ${email}, edge ${client.base}`);

  const tenant = await s.run('Create a tenant: iamctl tenant create (publishes tenant.created.v1)', async (say) => {
    say(`$ npm run iamctl -- tenant create --id ${tenantId} --region eu`);
    const r = await runIamctl(['tenant', 'create', '--id', tenantId, '--region', 'eu', '--json'], stackFile);
    check(r.code === 0 && r.json?.['status'] === 'created', `iamctl exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    say(`tenant ${tenantId} is readable in region eu (version ${String(r.json['version'])}, event ${String(r.json['event_id'])})`);
    return true;
  });
  if (tenant === undefined) return abort(s, print);

  const userId = await s.run('Create a user: iamctl user create (accounts API, bootstrap credential)', async (say) => {
    say(`$ echo '<password>' | npm run iamctl -- user create --tenant ${tenantId} --email ${email} --roles member --password-stdin`);
    const r = await runIamctl(['user', 'create', '--tenant', tenantId, '--email', email, '--roles', 'member', '--password-stdin', '--json'], stackFile, password);
    check(r.code === 0 && typeof r.json?.['user_id'] === 'string', `iamctl exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    say(`user ${r.json['user_id']} created with roles [member] and a password`);
    return r.json['user_id'];
  });
  if (userId === undefined) return abort(s, print);

  const login = () => client.call('POST', '/v1/login', { json: { tenant_id: tenantId, email, password, client_id: CLIENT_ID } });
  const tokens = await s.run('Log in: POST /v1/login through the edge', async (say) => {
    say(`POST /v1/login {tenant_id: ${tenantId}, email: ${email}, password: ***, client_id: ${CLIENT_ID}}`);
    const r = await login();
    check(r.status === 200, `expected 200, got ${describeAnswer(r)}`);
    const b = r.body;
    say(`200 {token_type: ${String(b['token_type'])}, expires_in: ${String(b['expires_in'])}, session_id: ${String(b['session_id'])},`);
    say(`     access_token: ${short(b['access_token'])}, refresh_token: ${short(b['refresh_token'])}}`);
    say(`cache-control: ${r.headers.get('cache-control') ?? '(none)'}`);
    check(b['token_type'] === 'Bearer' && b['expires_in'] === 900, 'expected token_type Bearer and expires_in 900');
    check(typeof b['access_token'] === 'string' && typeof b['refresh_token'] === 'string' && typeof b['session_id'] === 'string', 'missing tokens');
    return b as unknown as Tokens;
  });
  if (tokens === undefined) return abort(s, print);

  await s.run("Decode the access token's header and claims", async (say) => {
    const header = decodeProtectedHeader(tokens.access_token);
    const claims = decodeJwt(tokens.access_token);
    say(`header ${JSON.stringify(header)}`);
    for (const [k, v] of Object.entries(claims)) say(`  ${k.padEnd(5)} ${JSON.stringify(v)}`);
    check(header.alg === 'ES256' && header.typ === 'at+jwt', 'expected alg ES256 and typ at+jwt');
    check(typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp - claims.iat === 900, 'expected exp - iat = 900');
    check(claims.sub === userId && claims['tid'] === tenantId && claims['ver'] === 1, 'expected sub, tid and ver 1');
    say(`exp - iat = ${String((claims.exp ?? 0) - (claims.iat ?? 0))} s; sid = session_id: ${String(claims['sid'] === tokens.session_id)}`);
  });

  await s.run('Verify it against /.well-known/jwks.json with jose', async (say) => {
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', client.base));
    const verified = await jwtVerify(tokens.access_token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['ES256'],
      typ: 'at+jwt',
    });
    const keys = await client.call('GET', '/.well-known/jwks.json');
    const kids = Array.isArray(keys.body['keys']) ? (keys.body['keys'] as Array<{ kid?: string }>).map((k) => k.kid) : [];
    say(`jwks.json serves ${kids.length} key(s): ${kids.join(', ')} (cache-control: ${keys.headers.get('cache-control') ?? 'none'})`);
    say(`signature by kid ${String(verified.protectedHeader.kid)} verifies; iss ${options.issuer}, aud ${options.audience}, exp, typ at+jwt checked`);
  });

  await s.run('A wrong password and an unknown user get the same answer: 401 invalid_grant', async (say) => {
    const wrong = await client.call('POST', '/v1/login', { json: { tenant_id: tenantId, email, password: `${password}!`, client_id: CLIENT_ID } });
    say(`wrong password -> ${describeAnswer(wrong)}`);
    const unknown = await client.call('POST', '/v1/login', {
      json: { tenant_id: tenantId, email: `nobody-${suffix}@example.com`, password, client_id: CLIENT_ID },
    });
    say(`unknown user   -> ${describeAnswer(unknown)}`);
    check(wrong.status === 401 && wrong.body['error'] === 'invalid_grant', `expected 401 invalid_grant, got ${describeAnswer(wrong)}`);
    check(JSON.stringify(withoutRequestId(wrong)) === JSON.stringify(withoutRequestId(unknown)), 'the two answers differ');
    say('the bodies are identical apart from request_id (timing: npm run bench -- login)');
  });

  await s.run('Magic link: POST /v1/magic-link, read it with iamctl mail last, redeem it', async (say) => {
    const r = await client.call('POST', '/v1/magic-link', { json: { tenant_id: tenantId, email } });
    say(`POST /v1/magic-link -> ${r.status} ${JSON.stringify(r.body)}`);
    check(r.status === 202, `expected 202, got ${describeAnswer(r)}`);
    say(`$ npm run iamctl -- mail last --to ${email}`);
    const mail = await runIamctl(['mail', 'last', '--to', email, '--json'], stackFile);
    check(mail.code === 0 && typeof mail.json?.['magic_link_token'] === 'string', `iamctl mail last exited ${mail.code}: ${mail.stderr.trim()}`);
    const token = mail.json['magic_link_token'];
    say(`subject: ${String(mail.json['subject'])} (sent ${String(mail.json['sent_at'])}); link token ${short(token)}`);
    const redeemed = await client.call('POST', '/v1/magic-link/redeem', { json: { token } });
    check(redeemed.status === 200, `redeem: expected 200, got ${describeAnswer(redeemed)}`);
    const claims = decodeJwt(String(redeemed.body['access_token']));
    say(`POST /v1/magic-link/redeem -> 200, a new session ${String(redeemed.body['session_id'])}, amr ${JSON.stringify(claims['amr'])}`);
    const again = await client.call('POST', '/v1/magic-link/redeem', { json: { token } });
    say(`the same link again -> ${describeAnswer(again)} (single use)`);
    check(again.status === 401, `a second redemption should be refused, got ${describeAnswer(again)}`);
  });

  let current = tokens;
  const refreshed = await s.run('Refresh: POST /v1/token (grant_type=refresh_token)', async (say) => {
    const r = await client.call('POST', '/v1/token', {
      form: { grant_type: 'refresh_token', refresh_token: current.refresh_token, client_id: CLIENT_ID },
    });
    if (absent(r)) throw new NotAvailable(`POST /v1/token answers ${describeAnswer(r)}`);
    say(`POST /v1/token refresh_token=${short(current.refresh_token)} -> ${r.status}`);
    check(r.status === 200 && typeof r.body['refresh_token'] === 'string', `expected 200 with tokens, got ${describeAnswer(r)}`);
    check(r.body['refresh_token'] !== current.refresh_token, 'the refresh token was not rotated');
    say(`new refresh_token ${short(r.body['refresh_token'])} (rotated), access_token ${short(r.body['access_token'])}`);
    current = r.body as unknown as Tokens;
    return true;
  });
  void refreshed;

  await s.run('Sessions: GET /v1/sessions (Bearer)', async (say) => {
    const r = await client.call('GET', '/v1/sessions', { bearer: current.access_token });
    if (absent(r)) throw new NotAvailable(`GET /v1/sessions answers ${describeAnswer(r)}`);
    check(r.status === 200 && Array.isArray(r.body['sessions']), `expected 200 {sessions}, got ${describeAnswer(r)}`);
    for (const line of sessionLines(r)) say(line);
  });

  await s.run('Revoke a session: a second login, DELETE /v1/sessions/{id}, its refresh token refused', async (say) => {
    const probe = await client.call('GET', '/v1/sessions', { bearer: current.access_token });
    if (absent(probe)) throw new NotAvailable(`GET /v1/sessions answers ${describeAnswer(probe)}`);
    const second = await login();
    check(second.status === 200, `second login: expected 200, got ${describeAnswer(second)}`);
    const other = second.body as unknown as Tokens;
    say(`second login ("another device") -> session ${other.session_id}`);
    const del = await client.call('DELETE', `/v1/sessions/${encodeURIComponent(other.session_id)}`, { bearer: current.access_token });
    if (absent(del)) throw new NotAvailable(`DELETE /v1/sessions/{id} answers ${describeAnswer(del)}`);
    say(`DELETE /v1/sessions/${other.session_id} -> ${describeAnswer(del)}`);
    check(del.status >= 200 && del.status < 300, `expected 2xx, got ${describeAnswer(del)}`);
    const after = await client.call('GET', '/v1/sessions', { bearer: current.access_token });
    const listed = Array.isArray(after.body['sessions']) ? (after.body['sessions'] as Array<Record<string, unknown>>).map((x) => x['session_id']) : [];
    check(after.status === 200 && !listed.includes(other.session_id), `session ${other.session_id} is still listed: ${describeAnswer(after)}`);
    say(`GET /v1/sessions no longer lists it (${listed.length} left)`);
    const r = await client.call('POST', '/v1/token', { form: { grant_type: 'refresh_token', refresh_token: other.refresh_token, client_id: CLIENT_ID } });
    say(`its refresh token -> ${describeAnswer(r)}`);
    check(r.status === 400 || r.status === 401, `a revoked session's refresh token must be refused, got ${describeAnswer(r)}`);
  });

  const enrolled = await s.run('TOTP enrollment: POST /v1/mfa/totp/enroll, then /confirm with a code computed here (RFC 6238)', async (say) => {
    const r = await client.call('POST', '/v1/mfa/totp/enroll', { bearer: current.access_token, json: {} });
    if (absent(r)) throw new NotAvailable(`POST /v1/mfa/totp/enroll answers ${describeAnswer(r)}`);
    check(r.status === 200 || r.status === 201, `enroll: expected 200, got ${describeAnswer(r)}`);
    const secret = r.body['secret'];
    check(typeof secret === 'string', 'enroll: no secret in the answer');
    say(`secret ${short(secret)}, otpauth_uri ${String(r.body['otpauth_uri']).replace(/secret=[^&]+/, 'secret=***')}`);
    const step = stepAt(Date.now());
    const code = totpCode(secret, step);
    const confirm = await client.call('POST', '/v1/mfa/totp/confirm', { bearer: current.access_token, json: { code } });
    say(`POST /v1/mfa/totp/confirm {code: ${code}} -> ${describeAnswer(confirm)}`);
    check(confirm.status >= 200 && confirm.status < 300, `confirm: expected 2xx, got ${describeAnswer(confirm)}`);
    return { secret, step };
  });

  if (enrolled === undefined) {
    s.skip('MFA login: POST /v1/login -> mfa_required -> POST /v1/mfa/verify', 'needs the TOTP enrollment');
  } else {
    await s.run('MFA login: POST /v1/login -> mfa_required -> POST /v1/mfa/verify', async (say) => {
      const first = await login();
      say(`POST /v1/login -> ${first.status} ${String(first.body['error'])}, methods ${JSON.stringify(first.body['methods'])}, mfa_token ${short(first.body['mfa_token'])}`);
      check(first.status === 401 && first.body['error'] === 'mfa_required', `expected 401 mfa_required, got ${describeAnswer(first)}`);
      // The confirming code's step is used up (no replay, RFC 6238 §5.2): take a later step inside the ±1 window.
      const step = Math.max(stepAt(Date.now()), enrolled.step + 1);
      const code = totpCode(enrolled.secret, step);
      const r = await client.call('POST', '/v1/mfa/verify', { json: { mfa_token: first.body['mfa_token'], method: 'totp', code } });
      if (absent(r)) throw new NotAvailable(`POST /v1/mfa/verify answers ${describeAnswer(r)}`);
      say(`POST /v1/mfa/verify {method: totp, code: ${code}} -> ${describeAnswer(r)}`);
      check(r.status === 200 && typeof r.body['access_token'] === 'string', `expected 200 with tokens, got ${describeAnswer(r)}`);
      const claims = decodeJwt(String(r.body['access_token']));
      say(`access token amr ${JSON.stringify(claims['amr'])}, acr ${String(claims['acr'])}`);
      check(Array.isArray(claims['amr']) && claims['amr'].includes('otp') && claims['amr'].includes('pwd'), 'expected amr to hold pwd and otp');
    });
  }
  return s.counts;
}

function withoutRequestId(a: Answer): Record<string, unknown> {
  const { request_id: _ignored, ...rest } = a.body;
  return { status: a.status, ...rest };
}

function sessionLines(r: Answer): string[] {
  const list = Array.isArray(r.body['sessions']) ? (r.body['sessions'] as Array<Record<string, unknown>>) : [];
  return [
    `${list.length} session(s):`,
    ...list.map((x) => `  ${String(x['session_id'])}  ${String(x['device'] ?? '')}  created ${String(x['created_at'])}${x['current'] === true ? '  (current)' : ''}`),
  ];
}

function abort(s: Steps, print: (line: string) => void): Steps['counts'] {
  print('');
  print('   the rest of the story needs this step: stopping here');
  return s.counts;
}
