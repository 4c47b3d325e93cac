/**
 * iamctl against a real slice of the stack: both emulators, the tenant-events
 * function under functions-framework, and a Pub/Sub push subscription from the
 * `tenant-events` topic to it, as `npm start` wires them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import type { Stores } from '../../shared/adapters/store/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { freePort } from '../stack/processes.ts';
import { runIamctl, type IamctlRun } from './testing/run.ts';

const projectId = testProjectId('iamctl');
const env = testEnv(projectId);
let fn: ChildProcess | undefined;
let pubsub: PubSub;
let stores: Stores;

/** iamctl aimed at this file's project on the test emulators. */
const iamctl = (args: readonly string[], cwd?: string): Promise<IamctlRun> => runIamctl(args, { GOOGLE_CLOUD_PROJECT: projectId, IAMCTL_STACK_FILE: '/nonexistent' }, cwd);

async function stopFunction(): Promise<void> {
  if (fn === undefined || fn.exitCode !== null || fn.signalCode !== null) return;
  const exited = once(fn, 'exit');
  fn.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  const port = await freePort();
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');
  fn = spawn(process.execPath, [main, '--target=tenant-events', '--source=functions/tenant-events/index.ts', `--port=${port}`, '--signature-type=http'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  // the function answers GET with 405: that answer means it listens
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/`).then((res) => res.status, () => 0);
    if (status === 405) break;
    if (Date.now() > deadline) throw new Error('the tenant-events function did not start');
    await new Promise((res) => setTimeout(res, 100));
  }
  pubsub = new PubSub({ projectId, apiEndpoint: env['PUBSUB_EMULATOR_HOST'], emulatorMode: true });
  const [topic] = await pubsub.createTopic('tenant-events');
  await topic.createSubscription('tenant-events-push', {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/` },
    enableMessageOrdering: true,
    ackDeadlineSeconds: 10,
  });
  stores = createFirestoreStores(loadConfig(env));
}, 60_000);

afterAll(async () => {
  await stopFunction();
  await pubsub.close();
  await terminateFirestoreClients();
});

describe('iamctl on the emulators', () => {
  it('tenant create publishes tenant.created.v1 and returns once the tenant is readable, in its region only', async () => {
    const r = await iamctl(['tenant', 'create', '--id', 't1', '--region', 'me', '--json']);
    expect(r.stderr.some((l) => l.startsWith('iamctl: error'))).toBe(false);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toEqual({ tenant_id: 't1', region: 'me', status: 'created', event_id: expect.stringMatching(/^[0-9a-f-]{36}$/), version: 1 });
    // readable right away: iamctl waited for it
    expect(await stores.databases.regions.me.get('tenants', 't1')).toMatchObject({ tenant_id: 't1', region: 'me', version: 1 });
    expect(await stores.databases.regions.eu.get('tenants', 't1')).toBeUndefined();
    expect(await stores.databases.regions.us.get('tenants', 't1')).toBeUndefined();
    const audit = await stores.databases.regions.me.query('audit', { where: [['tenant_id', '==', 't1']] });
    expect(audit.map((a) => a.data['actor'])).toEqual([{ type: 'platform', id: '//iamctl.melmastoon.com/operator' }]);
  });

  it('tenant create with a policy file stores the policy with defaults; human output is one line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'iamctl-e2e-'));
    writeFileSync(path.join(dir, 'policy.json'), JSON.stringify({ mfa: { required_for_roles: ['admin'] }, lockout: { threshold: 3 } }));
    const r = await iamctl(['tenant', 'create', '--id', 't2', '--region', 'eu', '--policy', 'policy.json'], dir);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.stdout).toHaveLength(1);
    expect(r.stdout[0]).toMatch(/^tenant t2 created in eu \(version 1, readable after \d+ ms\)$/);
    expect(await stores.databases.regions.eu.get('tenants', 't2')).toMatchObject({
      policy: { mfa: { required_for_roles: ['admin'], webauthn_required_for_roles: [] }, lockout: { threshold: 3, unlock_after_seconds: 900 } },
    });
  });

  it('tenant create for an existing tenant says so; for another region it refuses with one line', async () => {
    const again = await iamctl(['tenant', 'create', '--id', 't1', '--region', 'me', '--json']);
    expect(again.code).toBe(0);
    expect(again.json).toEqual({ tenant_id: 't1', region: 'me', status: 'already_exists', event_id: null, version: 1 });
    const other = await iamctl(['tenant', 'create', '--id', 't1', '--region', 'us', '--json']);
    expect(other.code).toBe(1);
    expect(other.stderr).toEqual(['iamctl: error: tenant t1 already lives in region me']);
    expect(other.json).toEqual({ error: 'region_conflict', error_description: 'tenant t1 already lives in region me' });
  });

  it('events publish injects a tenant.updated.v1 that the function applies', async () => {
    const data = JSON.stringify({ tenant_id: 't1', region: 'me', policy: { sso: { required: true, emergency_fallback: 'password' } } });
    const r = await iamctl(['events', 'publish', '--type', 'tenant.updated.v1', '--data', data, '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toEqual({
      event_id: expect.any(String),
      message_id: expect.any(String),
      topic: 'tenant-events',
      type: 'tenant.updated.v1',
      ordering_key: 'tenant/t1',
    });
    const deadline = Date.now() + 20_000;
    let tenant: Readonly<Record<string, unknown>> | undefined;
    while (Date.now() < deadline) {
      tenant = await stores.databases.regions.me.get('tenants', 't1');
      if (tenant?.['version'] === 2) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(tenant).toMatchObject({ version: 2, policy: { sso: { required: true, emergency_fallback: 'password' } } });
  });

  it('reconcile outbox --json prints the report as the last line', async () => {
    const r = await iamctl(['reconcile', 'outbox', '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toMatchObject({
      ok: true,
      counts: { audit_events: 3, outbox_rows: 3, missing_outbox: 0, missing_audit: 0, stale_unpublished: 0 },
      missing_outbox: [],
      missing_audit: [],
      stale_unpublished: [],
    });
    expect(Object.keys(r.json ?? {}).every((k) => /^[a-z_]+$/.test(k))).toBe(true);
  });

  it('reconcile outbox exits 1 with one line when it finds a discrepancy', async () => {
    await stores.uow.run('eu', async (tx) =>
      tx.audit.add({ id: 'lonely-audit', tenant_id: 't2', at: new Date().toISOString(), actor: { type: 'admin', id: 'x' }, action: 'user.created', target: 'user/u1', event_id: 'never-written', request_id: null, details: {} }),
    );
    const r = await iamctl(['reconcile', 'outbox', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr.filter((l) => l.startsWith('iamctl: error'))).toEqual(['iamctl: error: reconciliation found 1 discrepancies']);
    expect(r.json).toMatchObject({ ok: false, missing_outbox: [{ region: 'eu', audit_id: 'lonely-audit', event_id: 'never-written' }] });
  });

  it('tenant create gives up with one line when nothing applies the event', async () => {
    await stopFunction();
    const r = await iamctl(['tenant', 'create', '--id', 't9', '--region', 'us', '--timeout', '2', '--json']);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ error: 'timeout' });
    expect(r.stderr.at(-1)).toMatch(/^iamctl: error: tenant t9 was not readable in us after 2 s/);
  });
});
