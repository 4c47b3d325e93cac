/**
 * Runs the whole `npm start` (scripts/start.ts) on its own ports and state
 * directory, checks it serves through the edge and wires Pub/Sub push with a
 * working dead-letter policy, then sends SIGTERM and checks that no process
 * of the stack (functions-framework, emulator launchers, their Java children)
 * survives. Then starts it twice more on the same state directory: once to
 * find the signing keys, a tenant and a document in every database again,
 * once with `--fresh` to find them gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIamctl } from '../iamctl/testing/run.ts';
import { discoverFunctions } from './functions.ts';
import { readStackInfo, type StackInfo } from './stack-info.ts';
import { allPorts, resolvePorts, type StackPorts } from './topology.ts';

const root = path.resolve(import.meta.dirname, '../..');

let child: ChildProcess;
let output = '';
let stateDir: string;
let ports: StackPorts;
let info: StackInfo;
let base: number;
/** What the first run served and stored, to find again after a restart. */
let firstKids: string[] = [];
const DATABASES = ['(default)', 'iam-eu', 'iam-me', 'iam-us'] as const;

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port base whose every port is free and below the ephemeral range the test emulators use. */
async function freeBase(): Promise<number> {
  const names = discoverFunctions(root);
  for (let attempt = 0; attempt < 20; attempt++) {
    // 11000-20943: below Linux's ephemeral range (32768+, where freePort() and outgoing
    // connections land) and apart from the demo test's 21000-31943.
    const base = 11_000 + Math.floor(Math.random() * 20) * 500;
    const candidate = resolvePorts(names, { IAM_STACK_PORT_BASE: String(base) });
    const checks = await Promise.all(allPorts(candidate).map(([, p]) => portFree(p)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free port base');
}

/** Processes whose command line has `--port=P` for one of `portList`. */
function processesOn(portList: readonly number[]): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    // cmdline arguments end in NUL, so every argument is followed by a space here.
    if (portList.some((p) => cmd.includes(`--port=${p} `))) {
      found.push({ pid: Number(entry), cmd });
    }
  }
  return found;
}

function getTls(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Starts `npm start` on this file's ports and state directory and waits for its banner. */
async function launch(args: readonly string[] = []): Promise<void> {
  output = '';
  child = spawn(process.execPath, [path.join(root, 'scripts/start.ts'), '--strict', ...args], {
    cwd: root,
    env: { ...process.env, IAM_STACK_PORT_BASE: String(base), IAM_STACK_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready in 50 s:\n${output}`)), 50_000);
    const poll = setInterval(() => {
      if (output.includes('Ready. Ctrl-C stops everything.')) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  const read = readStackInfo(stateDir);
  if (read === undefined) throw new Error('no stack.json');
  info = read;
  ports = resolvePorts(Object.keys(info.functions), { IAM_STACK_PORT_BASE: String(base) });
}

/** SIGTERM, and how long the stack took to exit. */
async function terminate(): Promise<{ code: number | null; ms: number }> {
  const began = Date.now();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  return { code, ms: Date.now() - began };
}

/** A document of the running stack's emulator, read with the owner token (rules bypassed, as the server SDKs do). */
async function readDoc(database: string, docPath: string, headers: Record<string, string> = { authorization: 'Bearer owner' }): Promise<Response> {
  return fetch(`http://${info.emulators.firestore}/v1/projects/${info.projectId}/databases/${encodeURIComponent(database)}/documents/${docPath}`, { headers });
}

async function markerIn(database: string): Promise<string | undefined> {
  const res = await readDoc(database, 'stack_e2e/marker');
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return ((await res.json()) as { fields: { run: { stringValue: string } } }).fields.run.stringValue;
}

async function kids(): Promise<string[]> {
  const res = await fetch(`${info.edge.http}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort();
}

/** iamctl aimed at this stack through its stack.json, not at the test emulators of this run. */
const iamctl = (args: readonly string[]) =>
  runIamctl(args, { FIRESTORE_EMULATOR_HOST: undefined, PUBSUB_EMULATOR_HOST: undefined, IAMCTL_TARGET: undefined, IAMCTL_STACK_FILE: path.join(stateDir, 'stack.json') });

beforeAll(async () => {
  base = await freeBase();
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'iam-stack-'));
  await launch();
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints every URL and writes stack.json with the ports it uses', () => {
    expect(output).toContain(`http://127.0.0.1:${ports.edgeHttp}`);
    expect(output).toContain(`https://127.0.0.1:${ports.edgeHttps}`);
    expect(output).toContain(`127.0.0.1:${ports.firestore}`);
    expect(output).toContain(`127.0.0.1:${ports.pubsub}`);
    for (const [name, port] of Object.entries(ports.functions)) {
      expect(output).toContain(`http://127.0.0.1:${port}`);
      expect(info.functions[name]?.status).toBe('running');
    }
    expect(info.edge.http).toBe(`http://127.0.0.1:${ports.edgeHttp}`);
    expect(info.emulators).toEqual({ firestore: `127.0.0.1:${ports.firestore}`, pubsub: `127.0.0.1:${ports.pubsub}` });
    expect(info.env['IAM_ISSUER']).toBe(`http://127.0.0.1:${ports.edgeHttp}`);
    expect(info.projectId).toMatch(/^demo-/);
  });

  it('does not route the jobs endpoints publicly', async () => {
    const res = await fetch(`${info.edge.http}/jobs/outbox-relay`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe('not_found');
  });

  it('serves the JWKS through the edge, over HTTP and over TLS with the dev CA', async () => {
    const res = await fetch(`${info.edge.http}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Array<{ kid: string; use: string; alg: string }> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]).toMatchObject({ use: 'sig', alg: 'ES256' });
    const tls = await getTls(`${info.edge.https}/.well-known/jwks.json`, readFileSync(info.edge.caCert, 'utf8'));
    expect(tls.status).toBe(200);
    // The functions run with the edge as their issuer.
    const discovery = (await (await fetch(`${info.edge.http}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).toBe(info.edge.http);
  });

  it(
    'pushes tenant-events to the function and dead-letters a message it keeps refusing',
    async () => {
      const pubsub = new PubSub({ projectId: info.projectId, apiEndpoint: info.emulators.pubsub, emulatorMode: true });
      try {
        const [push] = await pubsub.subscription('tenant-events-push').getMetadata();
        expect(push.pushConfig?.pushEndpoint).toBe(`${info.functions['tenant-events']?.url}/`);
        expect(push.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
        const [topic] = await pubsub.topic('tenant-events').getMetadata();
        expect(Number(topic.messageRetentionDuration?.seconds)).toBe(7 * 24 * 3600);

        const marker = `poison-${Date.now()}`;
        await pubsub.topic('tenant-events').publishMessage({ data: Buffer.from(JSON.stringify({ not: 'a cloudevent', marker })) });
        const tap = pubsub.subscription('tenant-events-dlq-tap');
        const dead = await new Promise<{ data: string; attributes: Record<string, string> }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('nothing reached the DLQ in 40 s')), 40_000);
          tap.on('message', (m: { data: Buffer; attributes: Record<string, string>; ack(): void }) => {
            m.ack();
            if (!m.data.toString('utf8').includes(marker)) return;
            clearTimeout(timer);
            resolve({ data: m.data.toString('utf8'), attributes: m.attributes });
          });
          tap.on('error', reject);
        });
        await tap.close();
        expect(dead.attributes['CloudPubSubDeadLetterSourceDeliveryCount']).toBe('5');
        expect(dead.attributes['CloudPubSubDeadLetterSourceSubscription']).toBe('tenant-events-push');
      } finally {
        await pubsub.close();
      }
    },
    60_000,
  );

  it('starts with no saved Firestore data, and the emulator enforces firestore.rules on requests without the owner token', async () => {
    expect(info.firestoreData).toMatchObject({ persist: true, fresh: false, restored: [], dir: path.join(stateDir, 'firestore', info.projectId) });
    expect(output).toContain('empty: nothing saved yet');
    const anonymous = await readDoc('iam-eu', 'stack_e2e/marker', {});
    expect(anonymous.status).toBe(403);
    expect(((await anonymous.json()) as { error: { status: string } }).error.status).toBe('PERMISSION_DENIED');
  });

  it('stores a document in every database (and a tenant through iamctl) to find after a restart', async () => {
    for (const db of DATABASES) {
      const res = await fetch(`http://${info.emulators.firestore}/v1/projects/${info.projectId}/databases/${encodeURIComponent(db)}/documents/stack_e2e/marker`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer owner', 'content-type': 'application/json' },
        body: JSON.stringify({ fields: { run: { stringValue: `first run, ${db}` } } }),
      });
      expect(res.status).toBe(200);
    }
    firstKids = await kids();
    const created = await iamctl(['tenant', 'create', '--id', 'persisted', '--region', 'me', '--json']);
    expect(created.json, created.stderr.join('\n')).toMatchObject({ tenant_id: 'persisted', region: 'me', status: 'created' });
  }, 45_000);

  it('stops everything on SIGTERM, leaving no process behind', async () => {
    const portList = allPorts(ports).map(([, p]) => p);
    const before = processesOn(portList);
    // Both emulators (the Firestore launcher and its Java child) and every function.
    expect(before.filter((p) => p.cmd.includes('java')).length).toBeGreaterThanOrEqual(2);
    expect(before.filter((p) => p.cmd.includes('functions-framework')).length).toBe(Object.keys(ports.functions).length);
    const stopped = await terminate();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(output).toContain('stopped.');
    // The data was saved before the emulator stopped.
    expect(output).toMatch(/saved the Firestore data \(\(default\), iam-eu, iam-me, iam-us\)/);
    const alive = before.filter((p) => existsSync(`/proc/${p.pid}`) && !readFileSync(`/proc/${p.pid}/stat`, 'utf8').includes(') Z '));
    expect(alive).toEqual([]);
    expect(processesOn(portList)).toEqual([]);
    expect(existsSync(path.join(stateDir, 'stack.json'))).toBe(false);
    for (const port of portList) expect(await portFree(port)).toBe(true);
  }, 30_000);
});

describe('npm start again, on the same state directory', () => {
  it('restores every database: the same signing keys, the tenant, and each marker', async () => {
    await launch();
    expect(output).toMatch(/restored the Firestore data saved \S+ \(\(default\), iam-eu, iam-me, iam-us\)/);
    expect(info.firestoreData).toMatchObject({ persist: true, fresh: false, restored: [...DATABASES] });
    for (const db of DATABASES) expect(await markerIn(db)).toBe(`first run, ${db}`);
    expect(firstKids.length).toBeGreaterThan(0);
    expect(await kids()).toEqual(firstKids);
    // In its region's database and in the platform directory, as the first run stored it.
    const tenant = await readDoc('iam-me', 'tenants/persisted');
    expect(tenant.status).toBe(200);
    expect(((await tenant.json()) as { fields: { region: { stringValue: string } } }).fields.region.stringValue).toBe('me');
    expect((await readDoc('(default)', 'tenant_directory/persisted')).status).toBe(200);
    expect((await readDoc('iam-eu', 'tenants/persisted')).status).toBe(404);
    const again = await iamctl(['tenant', 'create', '--id', 'persisted', '--region', 'me', '--json']);
    expect(again.json).toMatchObject({ tenant_id: 'persisted', status: 'already_exists' });
    const stopped = await terminate();
    expect(stopped.code).toBe(0);
  }, 90_000);

  it('with --fresh, starts empty: new signing keys, no tenant, no markers, the old save set aside', async () => {
    await launch(['--fresh']);
    expect(output).toContain('started empty (--fresh)');
    expect(info.firestoreData).toMatchObject({ fresh: true, restored: [] });
    expect(existsSync(path.join(stateDir, 'firestore', `${info.projectId}.before-fresh`, 'manifest.json'))).toBe(true);
    for (const db of DATABASES) expect(await markerIn(db)).toBeUndefined();
    expect((await readDoc('iam-me', 'tenants/persisted')).status).toBe(404);
    const fresh = await kids();
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.filter((k) => firstKids.includes(k))).toEqual([]);
    const stopped = await terminate();
    expect(stopped.code).toBe(0);
    expect(processesOn(allPorts(ports).map(([, p]) => p))).toEqual([]);
  }, 90_000);
});
