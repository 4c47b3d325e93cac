/** `iamctl mail last` reads the dev mailbox the token function's local Mailer writes. */
import { afterAll, describe, expect, it } from 'vitest';
import { cryptoRandom, fixedClock } from '../../shared/adapters/local/clock.ts';
import { createDevMailbox, DEV_MAILBOX, lastMailTo } from '../../shared/adapters/local/dev-mailbox.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../../shared/adapters/firestore/stores.ts';
import { createMemoryStores } from '../../shared/adapters/memory/stores.ts';
import { loadConfig } from '../../shared/config.ts';
import { testEnv, testProjectId } from '../../shared/testing/emulator.ts';
import { runIamctl } from './testing/run.ts';

const projectId = testProjectId('mail');
const stores = createFirestoreStores(loadConfig(testEnv(projectId)));
const iamctl = (args: readonly string[]) => runIamctl(args, { GOOGLE_CLOUD_PROJECT: projectId, IAMCTL_STACK_FILE: '/nonexistent' });

afterAll(terminateFirestoreClients);

describe('the dev mailbox', () => {
  it.each([
    ['memory', () => createMemoryStores().databases.platform],
    ['firestore', () => stores.databases.platform],
  ])('keeps every mail and finds the newest per exact address (%s)', async (_backend, db) => {
    const platform = db();
    const clock = fixedClock(Date.UTC(2026, 0, 1));
    const box = createDevMailbox(platform, { clock, random: cryptoRandom });
    const to = `${_backend}-a@example.com`;
    await box.send({ to, subject: 'one', text: 'first' });
    clock.advance(1000);
    await box.send({ to, subject: 'two', text: 'second' });
    await box.send({ to: `${_backend}-b@example.com`, subject: 'other', text: 'x' });
    expect(await lastMailTo(platform, to)).toMatchObject({ to, subject: 'two', text: 'second', sent_at: '2026-01-01T00:00:01.000Z' });
    expect(await lastMailTo(platform, `${_backend}-c@example.com`)).toBeUndefined();
    const all = await platform.query(DEV_MAILBOX, { where: [['to', '==', to]] });
    expect(all).toHaveLength(2);
  });
});

describe('iamctl mail last', () => {
  it('prints the newest mail to the normalised address, with the magic-link token under --json', async () => {
    const box = createDevMailbox(stores.databases.platform, { clock: { now: () => Date.now() }, random: cryptoRandom });
    await box.send({ to: 'alice@example.com', subject: 'Your sign-in link', text: 'Use it:\n\nhttp://127.0.0.1:8080/magic-link#token=ml.t1.abc_-x\n' });
    const r = await iamctl(['mail', 'last', '--to', ' Alice@Example.COM ', '--json']);
    expect(r.code, r.stderr.join('\n')).toBe(0);
    expect(r.json).toMatchObject({ to: 'alice@example.com', subject: 'Your sign-in link', magic_link_token: 'ml.t1.abc_-x' });
    const human = await iamctl(['mail', 'last', '--to', 'alice@example.com']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('subject: Your sign-in link');
    expect(human.stdout).toContain('http://127.0.0.1:8080/magic-link#token=ml.t1.abc_-x');
  });

  it('exits 1 with one line when the mailbox holds nothing for the address', async () => {
    const r = await iamctl(['mail', 'last', '--to', 'nobody@example.com', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toEqual(['iamctl: error: no mail to nobody@example.com in the dev mailbox']);
    expect(r.json).toEqual({ error: 'not_found', error_description: 'no mail to nobody@example.com in the dev mailbox' });
  });

  it('refuses what is not an email address (usage, exit 2)', async () => {
    const r = await iamctl(['mail', 'last', '--to', 'not-an-address']);
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toMatch(/--to: not an email address/);
  });
});
