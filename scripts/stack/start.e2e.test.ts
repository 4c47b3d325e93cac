/**
 * Runs the whole `npm start` (scripts/start.ts) on its own ports and state
 * directory, checks it serves through the edge and wires Pub/Sub push with a
 * working dead-letter policy, then sends SIGTERM and checks that no process
 * of the stack (functions-framework, emulator launchers, their Java children)
 * survives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverFunctions } from './functions.ts';
import { readStackInfo, type StackInfo } from './stack-info.ts';
import { allPorts, resolvePorts, type StackPorts } from './topology.ts';

const root = path.resolve(import.meta.dirname, '../..');
const hasToken = existsSync(path.join(root, 'functions/token/index.ts'));
const hasTenantEvents = existsSync(path.join(root, 'functions/tenant-events/index.ts'));

let child: ChildProcess;
let output = '';
let stateDir: string;
let ports: StackPorts;
let info: StackInfo;

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
    const base = 11_000 + Math.floor(Math.random() * 40) * 500;
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

beforeAll(async () => {
  const base = await freeBase();
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'iam-stack-'));
  child = spawn(process.execPath, [path.join(root, 'scripts/start.ts'), '--strict'], {
    cwd: root,
    env: { ...process.env, IAM_STACK_PORT_BASE: String(base), IAM_STACK_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready in 45 s:\n${output}`)), 45_000);
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

  it.skipIf(!hasToken)('serves the JWKS through the edge, over HTTP and over TLS with the dev CA', async () => {
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

  it.skipIf(!hasTenantEvents)(
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

  it('stops everything on SIGTERM, leaving no process behind', async () => {
    const portList = allPorts(ports).map(([, p]) => p);
    const before = processesOn(portList);
    // Both emulators (the Firestore launcher and its Java child) and every function.
    expect(before.filter((p) => p.cmd.includes('java')).length).toBeGreaterThanOrEqual(2);
    expect(before.filter((p) => p.cmd.includes('functions-framework')).length).toBe(Object.keys(ports.functions).length);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped.');
    const alive = before.filter((p) => existsSync(`/proc/${p.pid}`) && !readFileSync(`/proc/${p.pid}/stat`, 'utf8').includes(') Z '));
    expect(alive).toEqual([]);
    expect(processesOn(portList)).toEqual([]);
    expect(existsSync(path.join(stateDir, 'stack.json'))).toBe(false);
    for (const port of portList) expect(await portFree(port)).toBe(true);
  }, 30_000);
});
