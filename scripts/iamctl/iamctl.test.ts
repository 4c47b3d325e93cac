/** iamctl's argument handling and output contract, through the real CLI process. No stack needed. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIamctl } from './testing/run.ts';

/** The environment of a run that must fail before it talks to any stack. */
const NO_STACK = { FIRESTORE_EMULATOR_HOST: '127.0.0.1:1', PUBSUB_EMULATOR_HOST: '127.0.0.1:1' };

describe('iamctl arguments', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await runIamctl(['--help']);
    expect(r.code).toBe(0);
    const text = r.stdout.join('\n');
    for (const c of ['tenant create', 'events publish', 'reconcile outbox']) expect(text).toContain(c);
  });

  it('<command> --help shows its usage and exits 0', async () => {
    const r = await runIamctl(['tenant', 'create', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.join('\n')).toContain('usage: iamctl tenant create --id T --region eu|me|us');
  });

  it.each([
    [[], 'no command given'],
    [['tenant'], "'tenant' needs a subcommand: create"],
    [['tenant', 'explode'], "unknown command 'tenant explode'; 'tenant' has: create"],
    [['frobnicate', 'all'], "unknown command 'frobnicate all'"],
    [['tenant', 'create', '--id', 't1', '--region', 'me', '--bogus'], "Unknown option '--bogus'"],
    [['tenant', 'create', '--id', 't1', '--region', 'me', 'extra'], "Unexpected argument 'extra'"],
    [['tenant', 'create', '--region', 'me'], '--id is required'],
    [['tenant', 'create', '--id', 't1'], '--region is required'],
    [['tenant', 'create', '--id', 't1', '--region', 'ap'], '--region is invalid: one of eu, me, us'],
    [['tenant', 'create', '--id', 'Not_A_Tenant', '--region', 'eu'], '--id is invalid: a tenant id is 1-63 lower-case letters'],
    [['tenant', 'create', '--id', 't1', '--region', 'eu', '--timeout', 'soon'], '--timeout is invalid: a number of seconds'],
    [['tenant', 'create', '--id'], "Option '--id <value>' argument missing"],
    [['events', 'publish', '--type', 'tenant.created.v1'], '--data is required'],
    [['events', 'publish', '--type', 'tenant.created.v1', '--data', '{nope'], '--data is not valid JSON'],
    [['events', 'publish', '--type', 'made.up.v1', '--data', '{}'], "no default topic for type 'made.up.v1': give --topic"],
    [['reconcile', 'outbox', '--from', 'yesterday'], '--from is invalid: an RFC 3339 instant'],
    [['reconcile', 'outbox', '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z'], '--from must be before --to'],
  ])('iamctl %j -> exit 2 and one clear line', async (args, message) => {
    const r = await runIamctl(args, NO_STACK);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/^iamctl: error: /);
    expect(r.stderr[0]).toContain(message);
    expect(r.stdout).toEqual([]);
  });

  it('a bad --policy file is refused before anything is published', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'iamctl-'));
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ lockout: { threshold: 'many' } }));
    writeFileSync(path.join(dir, 'odd.json'), JSON.stringify({ session: { idle_seconds: 7200, absolute_seconds: 3600 } }));
    writeFileSync(path.join(dir, 'broken.json'), '{');
    for (const [file, message] of [
      ['bad.json', "--policy bad.json: 'lockout.threshold' is invalid"],
      ['odd.json', '--policy odd.json: session.idle_seconds must not exceed session.absolute_seconds'],
      ['broken.json', '--policy broken.json: not valid JSON'],
      ['missing.json', '--policy missing.json: no such file'],
    ] as const) {
      const r = await runIamctl(['tenant', 'create', '--id', 't1', '--region', 'eu', '--policy', file], NO_STACK, dir);
      expect(r.code, file).toBe(2);
      expect(r.stderr).toEqual([expect.stringContaining(message)]);
    }
  });

  it('--json prints the error as one snake_case JSON object on the last stdout line', async () => {
    const r = await runIamctl(['--json', 'tenant', 'create', '--id', 't1', '--region', 'ap'], NO_STACK);
    expect(r.code).toBe(2);
    expect(r.stdout).toHaveLength(1);
    expect(r.json).toEqual({ error: 'invalid_arguments', error_description: '--region is invalid: one of eu, me, us' });
    expect(r.stderr).toHaveLength(1);
  });

  it('--json may also come after the flags', async () => {
    const r = await runIamctl(['events', 'publish', '--type', 'x.y', '--json'], NO_STACK);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ error: 'invalid_arguments' });
  });

  it('an unreachable stack is one line and exit 1', async () => {
    const r = await runIamctl(['--json', 'tenant', 'create', '--id', 't1', '--region', 'eu'], NO_STACK);
    expect(r.code).toBe(1);
    expect(r.stderr).toEqual(['iamctl: error: cannot reach the Firestore emulator at 127.0.0.1:1: is `npm start` running?']);
    expect(r.json).toEqual({ error: 'stack_unreachable', error_description: 'cannot reach the Firestore emulator at 127.0.0.1:1: is `npm start` running?' });
  });

  it('without emulator variables nor a running stack it aims at the fixed local defaults', async () => {
    const r = await runIamctl(['events', 'publish', '--type', 'tenant.created.v1', '--data', '{}'], {
      FIRESTORE_EMULATOR_HOST: undefined,
      PUBSUB_EMULATOR_HOST: undefined,
      IAMCTL_STACK_FILE: path.join(tmpdir(), 'no-such-stack.json'),
    });
    // either nothing listens on 8085 (exit 1, clear line) or a local stack does (exit 0)
    if (r.code === 1) expect(r.stderr).toEqual(['iamctl: error: cannot reach the Pub/Sub emulator at 127.0.0.1:8085: is `npm start` running?']);
    else expect(r.code).toBe(0);
  });
});
