/**
 * The `jobs` function as deployed: its index.ts under functions-framework,
 * with Firestore and Pub/Sub on the emulators.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { closePubsubClients, pubsubClient } from '../../shared/adapters/pubsub/client.ts';
import { loadConfig } from '../../shared/config.ts';
import { EVENT_SOURCE } from '../../shared/domain/outbox/event.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { freePort } from '../../scripts/stack/processes.ts';

const projectId = testProjectId('jobs');
const env = testEnv(projectId);
let fn: ChildProcess;
let base: string;
let coldStartMs: number;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');
  const spawned = performance.now();
  fn = spawn(process.execPath, [main, '--target=jobs', '--source=functions/jobs/index.ts', `--port=${port}`, '--signature-type=http'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`${base}/jobs/health`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error('the jobs function did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  coldStartMs = performance.now() - spawned;
}, 60_000);

afterAll(async () => {
  const exited = once(fn, 'exit');
  fn.kill('SIGTERM');
  await exited;
  await closePubsubClients();
  await terminateFirestoreClients();
});

describe('jobs function (functions-framework, emulators)', () => {
  it('GET /jobs/health answers 200 without touching storage', async () => {
    const res = await fetch(`${base}/jobs/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
    console.info(`jobs cold start (spawn to first 200 on /jobs/health): ${coldStartMs.toFixed(0)} ms`);
  });

  it('POST /jobs/outbox-relay publishes pending rows to the events topic; reconcile-outbox reports ok', async () => {
    const config = loadConfig(env);
    const { uow, directory } = createFirestoreStores(config);
    const now = new Date().toISOString();
    await directory.claim('t1', 'us', now);
    await uow.run('us', async (tx) => {
      tx.outbox.add({ id: 'jobs-e2e-1', type: 'iam.tenant.created.v1', source: EVENT_SOURCE, subject: 'tenant/t1', time: now, tenant_id: 't1', ordering_key: 'tenant/t1', data: { tenant_id: 't1' } }, now);
      tx.audit.add({ id: 'jobs-e2e-a1', tenant_id: 't1', at: now, actor: { type: 'platform', id: 'test' }, action: 'tenant.created', target: 'tenant/t1', event_id: 'jobs-e2e-1', request_id: null, details: {} });
    });
    const pubsub = pubsubClient({ projectId, emulatorHost: config.emulators.pubsub });
    const [topic] = await pubsub.createTopic(config.eventsTopic);
    const [sub] = await topic.createSubscription('jobs-e2e-tap', { enableMessageOrdering: true });

    const relay = await fetch(`${base}/jobs/outbox-relay`, { method: 'POST' });
    expect(relay.status).toBe(200);
    expect(await relay.json()).toMatchObject({ leased: 1, published: 1, failures: [] });

    const got: Message[] = [];
    sub.on('message', (m: Message) => {
      got.push(m);
      m.ack();
    });
    const deadline = Date.now() + 15_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await sub.close();
    expect(got).toHaveLength(1);
    expect(got[0]?.orderingKey).toBe('tenant/t1');
    expect(got[0]?.attributes).toMatchObject({ 'ce-id': 'jobs-e2e-1', 'ce-type': 'iam.tenant.created.v1', tenant_id: 't1' });

    const reconcile = await fetch(`${base}/jobs/reconcile-outbox`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(reconcile.status).toBe(200);
    expect(await reconcile.json()).toMatchObject({ ok: true, counts: { audit_events: 1, outbox_rows: 1, published: 1 } });
  });

  it('refuses a bad job body with the error envelope', async () => {
    const res = await fetch(`${base}/jobs/outbox-relay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"limit":-1}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });
});
