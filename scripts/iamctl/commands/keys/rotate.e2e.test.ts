/**
 * `iamctl keys rotate` as an operator runs it (a child process) against the
 * emulators: the local ring in the platform database, the audit and outbox
 * there, `iam.keys.rotated.v1` on the Pub/Sub emulator, the platform
 * revocation epoch; and the KMS plan for a KMS target.
 */
import { userInfo } from 'node:os';
import { createLocalJWKSet, errors, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../../../shared/adapters/firestore/stores.ts';
import { systemClock } from '../../../../shared/adapters/local/clock.ts';
import { createLocalKeyRing } from '../../../../shared/adapters/local/local-key-ring.ts';
import { firestoreKeyStore, platformFirestore, RING_DOCUMENT, SIGNING_KEYS_COLLECTION } from '../../../../shared/adapters/local/local-key-ring-firestore.ts';
import { AUDIT } from '../../../../shared/adapters/store/audit-repo.ts';
import { OUTBOX } from '../../../../shared/adapters/store/outbox-repo.ts';
import { platformEpochSource, REVOCATION_EPOCHS } from '../../../../shared/adapters/store/revocation-repo.ts';
import type { Stores } from '../../../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../../../shared/config.ts';
import { buildJwks } from '../../../../shared/domain/keys/build-jwks.ts';
import { ACCESS_TOKEN_TYP, signJws } from '../../../../shared/domain/keys/sign-jws.ts';
import { isRevokedByEpoch, PLATFORM_SCOPE } from '../../../../shared/domain/sessions/revocation-epoch.ts';
import { emulatorHosts, testEnv, testProjectId } from '../../../../shared/testing/emulator.ts';
import { runIamctl } from '../../testing/run.ts';

const projectId = testProjectId('keys-rotate');
const env = testEnv(projectId);
const config = loadConfig(env);
const pubsub = `http://${emulatorHosts().pubsub}/v1/projects/${projectId}`;
let stores: Stores;

const iamctl = (args: readonly string[], extra: Record<string, string | undefined> = {}) =>
  runIamctl(['keys', 'rotate', ...args], { GOOGLE_CLOUD_PROJECT: projectId, IAMCTL_STACK_FILE: '/nonexistent', ...extra });
/** A fresh instance's view of the ring (no cache). */
const freshRing = () =>
  createLocalKeyRing(firestoreKeyStore(platformFirestore({ projectId, databaseId: config.platformDatabase, emulatorHost: config.emulators.firestore })), {
    clock: systemClock,
  });
const ringDoc = () => platformFirestore({ projectId, databaseId: config.platformDatabase, emulatorHost: config.emulators.firestore }).collection(SIGNING_KEYS_COLLECTION).doc(RING_DOCUMENT);
/** Makes the stored next key old enough for a scheduled rotation. */
const ageNextKey = () => ringDoc().update({ 'next.publishedAt': Date.now() - 3_600_000 });

async function pull(): Promise<{ attributes: Record<string, string>; data: Record<string, unknown> }[]> {
  const res = await fetch(`${pubsub}/subscriptions/keys-test:pull`, { method: 'POST', body: JSON.stringify({ maxMessages: 50 }), headers: { 'content-type': 'application/json' } });
  const body = (await res.json()) as { receivedMessages?: { ackId: string; message: { attributes: Record<string, string>; data: string } }[] };
  const received = body.receivedMessages ?? [];
  if (received.length > 0) {
    await fetch(`${pubsub}/subscriptions/keys-test:acknowledge`, { method: 'POST', body: JSON.stringify({ ackIds: received.map((r) => r.ackId) }), headers: { 'content-type': 'application/json' } });
  }
  return received.map((r) => ({ attributes: r.message.attributes, data: JSON.parse(Buffer.from(r.message.data, 'base64').toString('utf8')) as Record<string, unknown> }));
}

beforeAll(async () => {
  const put = (path: string, body: unknown) => fetch(`${pubsub}/${path}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect((await put('topics/iam-events', {})).status).toBe(200);
  expect((await put('subscriptions/keys-test', { topic: `projects/${projectId}/topics/iam-events` })).status).toBe(200);
  stores = createFirestoreStores(config);
  await freshRing().current(); // the ring exists, its next key just published
}, 60_000);

afterAll(terminateFirestoreClients);

describe('iamctl keys rotate (local signer)', () => {
  it('refuses a scheduled rotation while the next key is younger than the JWKS may be cached, changing nothing', async () => {
    const before = (await freshRing().published()).map((p) => p.jwk.kid);
    const r = await iamctl(['--json']);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ error: 'next_key_too_young', retry_after_seconds: expect.any(Number) });
    expect(r.json?.['retry_after_seconds'] as number).toBeGreaterThan(300);
    expect(r.stderr.at(-1)).toMatch(/^iamctl: error: the next key is too young to sign/);
    expect((await freshRing().published()).map((p) => p.jwk.kid)).toEqual(before);
    expect(await stores.databases.platform.query(AUDIT, {})).toEqual([]);
  });

  it('scheduled: next -> current, current -> previous, a new next; audited with the OS user; iam.keys.rotated.v1 published', async () => {
    const [oldCurrent, oldNext] = (await freshRing().published()).map((p) => p.jwk.kid);
    await ageNextKey();
    const r = await iamctl(['--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    const operator = userInfo().username;
    expect(r.json).toMatchObject({ mode: 'scheduled', signer: 'local', actor: operator, current_kid: oldNext, previous_kid: oldCurrent, retired_kids: [], sessions_revoked_before: null, event_published: true });
    const published = await freshRing().published();
    expect(published.map((p) => [p.status, p.jwk.kid])).toEqual([
      ['current', oldNext],
      ['next', r.json?.['next_kid']],
      ['previous', oldCurrent],
    ]);
    const audit = (await stores.databases.platform.query(AUDIT, {})).map((f) => f.data);
    expect(audit).toEqual([
      expect.objectContaining({ tenant_id: PLATFORM_SCOPE, action: 'keys.rotated', actor: { type: 'platform', id: operator }, target: 'keys/jwt-signing', event_id: r.json?.['event_id'] }),
    ]);
    const row = await stores.databases.platform.get(OUTBOX, r.json?.['event_id'] as string);
    expect(row?.['published_at']).toEqual(expect.any(String));
    const messages = await pull();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.attributes).toMatchObject({ 'ce-type': 'iam.keys.rotated.v1', 'ce-id': r.json?.['event_id'], tenant_id: PLATFORM_SCOPE });
    expect(messages[0]?.data).toMatchObject({ mode: 'scheduled', current_kid: oldNext, previous_kid: oldCurrent });
  });

  it('--emergency --revoke-sessions: the current kid leaves the JWKS at once, its tokens stop verifying, and the platform epoch revokes every session so far', async () => {
    const ring = freshRing();
    const compromised = await ring.current();
    const token = await signJws(compromised, { typ: ACCESS_TOKEN_TYP }, { sub: 'u1', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 900 });
    const sessionBefore = { tenant_id: 't1', created_at: new Date().toISOString() };
    const r = await iamctl(['--emergency', '--revoke-sessions', '--actor', 'alice', '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toMatchObject({ mode: 'emergency', actor: 'alice', retired_kids: [compromised.kid], event_published: true });
    const after = await freshRing().published();
    expect(after.map((p) => p.jwk.kid)).not.toContain(compromised.kid);
    const jwks = createLocalJWKSet((await buildJwks(freshRing())) as unknown as { keys: JWK[] });
    await expect(jwtVerify(token, jwks, { algorithms: ['ES256'] })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    // The platform epoch: one document, covering the session created before the rotation.
    const epoch = await platformEpochSource(stores.databases.platform, { clock: systemClock }).current();
    expect(epoch).toMatchObject({ tenant_id: PLATFORM_SCOPE, actor: { type: 'platform', id: 'alice' }, reason: 'key_compromise', epoch: r.json?.['sessions_revoked_before'] });
    expect(epoch !== undefined && isRevokedByEpoch(sessionBefore, { platform: epoch, tenant: undefined })).toBe('platform_epoch');
    expect(await stores.databases.platform.query(REVOCATION_EPOCHS, {})).toHaveLength(1);
    const types = (await pull()).map((m) => m.attributes['ce-type']).sort();
    expect(types).toEqual(['iam.keys.rotated.v1', 'iam.session.mass_revoked.v1']);
    const actions = (await stores.databases.platform.query(AUDIT, {})).map((f) => f.data['action']).sort();
    expect(actions).toEqual(['keys.rotated', 'keys.rotated', 'sessions.mass_revoked']);
  });

  it('prints the rotation for a person without --json', async () => {
    await ageNextKey();
    const r = await iamctl(['--actor', 'bob']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stdout[0]).toBe('scheduled rotation done by bob');
    expect(r.stdout.some((l) => l.startsWith('current  '))).toBe(true);
    await pull();
  });

  it.each([
    [['--revoke-sessions'], /--revoke-sessions goes with --emergency/],
    [['--actor', 'bad name!'], /--actor/],
    [['--emergency', 'now'], /Unexpected argument/],
  ])('refuses %j as a usage error (exit 2), rotating nothing', async (args, message) => {
    const before = (await freshRing().published()).map((p) => p.jwk.kid);
    const r = await iamctl([...args, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.at(-1)).toMatch(message);
    expect(r.json?.['error']).toBe('invalid_arguments');
    expect((await freshRing().published()).map((p) => p.jwk.kid)).toEqual(before);
  });
});

describe('iamctl keys rotate (KMS signer)', () => {
  const KEY = 'projects/p1/locations/europe-west1/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions';
  const kmsEnv = {
    ...env,
    IAMCTL_TARGET: 'env',
    IAM_SIGNER: 'kms',
    IAM_KMS_KEY_CURRENT: `${KEY}/3`,
    IAM_KMS_KEY_NEXT: `${KEY}/4`,
    IAM_KMS_KEY_PREVIOUS: `${KEY}/2`,
    IAM_KMS_REPLICA_KEY_CURRENT: 'projects/p1/locations/europe-west4/keyRings/iam/cryptoKeys/jwt-signing/cryptoKeyVersions/1',
  };

  it('prints the gcloud and Terraform steps of an emergency rotation and refuses (exit 1, nothing rotated)', async () => {
    const r = await iamctl(['--emergency', '--json'], kmsEnv);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ error: 'deploy_required', mode: 'emergency', signer: 'kms', sessions_revoked_before: null });
    const steps = r.json?.['steps'] as string[];
    expect(steps[0]).toContain('gcloud kms keys versions create --key=jwt-signing --keyring=iam --location=europe-west1 --project=p1');
    expect(steps[1]).toContain('jwt_key_versions = { current = 4, next = N, previous = 2 }');
    expect(steps[2]).toContain('gcloud kms keys versions disable 3 --key=jwt-signing');
    expect(steps.at(-1)).toContain('europe-west4');
  });

  it('a scheduled plan promotes the next version and keeps the current one as previous', async () => {
    const r = await iamctl(['--json'], kmsEnv);
    expect(r.code).toBe(1);
    expect((r.json?.['steps'] as string[]).join('\n')).toContain('jwt_key_versions = { current = 4, next = N, previous = 3 }');
  });

  it('--revoke-sessions raises the platform epoch even though the KMS rotation is a deploy', async () => {
    const before = await stores.databases.platform.get(REVOCATION_EPOCHS, PLATFORM_SCOPE);
    const r = await iamctl(['--emergency', '--revoke-sessions', '--actor', 'carol', '--json'], kmsEnv);
    expect(r.code).toBe(1);
    expect(r.json?.['sessions_revoked_before']).toEqual(expect.any(String));
    const after = await stores.databases.platform.get(REVOCATION_EPOCHS, PLATFORM_SCOPE);
    expect(after).toMatchObject({ actor: { type: 'platform', id: 'carol' }, version: ((before?.['version'] as number | undefined) ?? 0) + 1 });
    expect((await pull()).map((m) => m.attributes['ce-type'])).toEqual(['iam.session.mass_revoked.v1']);
  });
});
