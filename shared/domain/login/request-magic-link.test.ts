/** `requestMagicLink` on the in-memory stores: the per-user quota of magic links (mail bombing). */
import { beforeEach, describe, expect, it } from 'vitest';
import { cryptoRandom, fixedClock } from '../../adapters/local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../../adapters/memory/stores.ts';
import { seedTenant } from '../../adapters/store/contracts/fixtures.ts';
import { MAGIC_LINKS } from '../../adapters/store/magic-link-repo.ts';
import { MAGIC_LINK_THROTTLES, magicLinkThrottleId } from '../../adapters/store/magic-link-throttle-repo.ts';
import type { User } from '../accounts/user.ts';
import type { Mailer } from '../ports.ts';
import { MAGIC_LINK_MAX_PER_WINDOW, MAGIC_LINK_WINDOW_SECONDS } from './magic-link-throttle.ts';
import { requestMagicLink, type RequestMagicLinkDeps } from './request-magic-link.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const WINDOW_MS = MAGIC_LINK_WINDOW_SECONDS * 1000;

function aUser(tenantId: string, userId: string, email: string): User {
  const at = new Date(T0).toISOString();
  return {
    user_id: userId,
    tenant_id: tenantId,
    email,
    roles: ['member'],
    status: 'active',
    password: null,
    mfa_methods: [],
    created_at: at,
    updated_at: at,
    created_by: { type: 'admin', id: 'test' },
    last_login_at: null,
  };
}

describe('requestMagicLink: at most MAGIC_LINK_MAX_PER_WINDOW links per user per window', () => {
  let stores: MemoryStores;
  let clock: ReturnType<typeof fixedClock>;
  let mails: { to: string; text: string }[];
  let deps: RequestMagicLinkDeps;

  beforeEach(async () => {
    stores = createMemoryStores();
    clock = fixedClock(T0);
    mails = [];
    const mailer: Mailer = { send: async (m) => void mails.push({ to: m.to, text: m.text }) };
    deps = { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom, mailer, magicLinkUrl: 'https://id.example/magic-link' };
    await seedTenant(stores, 'acme', 'eu');
    await seedTenant(stores, 'globex', 'eu');
    await stores.uow.run('eu', async (tx) => {
      tx.users.create(aUser('acme', 'u-alice', 'alice@example.com'));
      tx.users.create(aUser('acme', 'u-bob', 'bob@example.com'));
      tx.users.create(aUser('globex', 'u-alice-globex', 'alice@example.com'));
    });
  });

  const request = (email = 'alice@example.com', tenantId = 'acme') => requestMagicLink(deps, { tenantId, email, clientId: 'web' });
  const links = async (userId: string) => (await stores.databases.regions.eu.query(MAGIC_LINKS, { where: [['user_id', '==', userId]] })).length;
  const mailsTo = (to: string) => mails.filter((m) => m.to === to).length;

  it('the quota is 3 links per 15 minutes', () => {
    expect(MAGIC_LINK_MAX_PER_WINDOW).toBe(3);
    expect(MAGIC_LINK_WINDOW_SECONDS).toBe(900);
  });

  it('mails exactly the quota; the next request in the window is throttled: no mail, no stored link, the record unchanged', async () => {
    const outcomes = [];
    for (let i = 0; i < MAGIC_LINK_MAX_PER_WINDOW; i++) {
      outcomes.push((await request()).outcome);
      clock.advance(60_000);
    }
    expect(outcomes).toEqual(['sent', 'sent', 'sent']);
    expect(mailsTo('alice@example.com')).toBe(3);
    expect(await links('u-alice')).toBe(3);
    const record = await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('acme', 'u-alice'));
    expect(record).toEqual({
      tenant_id: 'acme',
      user_id: 'u-alice',
      sent_at: [0, 60_000, 120_000].map((ms) => new Date(T0 + ms).toISOString()),
      expires_at: new Date(T0 + 120_000 + WINDOW_MS).toISOString(),
    });
    // ids and instants only: no address in the record or its id
    expect(JSON.stringify(record) + magicLinkThrottleId('acme', 'u-alice')).not.toMatch(/alice@|example/);

    expect(await request()).toEqual({ outcome: 'throttled' });
    expect(await request(' ALICE@example.com')).toEqual({ outcome: 'throttled' });
    expect(mailsTo('alice@example.com')).toBe(3);
    expect(await links('u-alice')).toBe(3);
    expect(await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('acme', 'u-alice'))).toEqual(record);
  });

  it('the window slides: a link is allowed again once the oldest is 15 minutes old, one per link that ages out', async () => {
    for (const at of [0, 60_000, 120_000]) {
      clock.set(T0 + at);
      expect((await request()).outcome).toBe('sent');
    }
    clock.set(T0 + WINDOW_MS - 1);
    expect((await request()).outcome).toBe('throttled');
    clock.set(T0 + WINDOW_MS);
    expect((await request()).outcome).toBe('sent');
    expect((await request()).outcome).toBe('throttled');
    clock.set(T0 + 60_000 + WINDOW_MS);
    expect((await request()).outcome).toBe('sent');
    expect(mailsTo('alice@example.com')).toBe(5);
    // a quiet window later, the whole quota is back
    clock.set(T0 + 60_000 + 2 * WINDOW_MS);
    expect([(await request()).outcome, (await request()).outcome, (await request()).outcome, (await request()).outcome]).toEqual(['sent', 'sent', 'sent', 'throttled']);
    expect(mailsTo('alice@example.com')).toBe(8);
    expect((await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('acme', 'u-alice')))?.['sent_at']).toHaveLength(3);
  });

  it('another user, and the same address in another tenant, keep their own quota', async () => {
    for (let i = 0; i < 4; i++) await request();
    expect((await request()).outcome).toBe('throttled');
    expect((await request('bob@example.com')).outcome).toBe('sent');
    expect((await request('alice@example.com', 'globex')).outcome).toBe('sent');
    expect(mailsTo('bob@example.com')).toBe(1);
    expect(mailsTo('alice@example.com')).toBe(4);
    expect(await links('u-bob')).toBe(1);
    expect(await links('u-alice-globex')).toBe(1);
  });

  it('12 parallel requests for one user mail exactly the quota and store exactly that many links', async () => {
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => request()));
    expect(outcomes.filter((o) => o.outcome === 'sent')).toHaveLength(MAGIC_LINK_MAX_PER_WINDOW);
    expect(outcomes.filter((o) => o.outcome === 'throttled')).toHaveLength(12 - MAGIC_LINK_MAX_PER_WINDOW);
    expect(mailsTo('alice@example.com')).toBe(MAGIC_LINK_MAX_PER_WINDOW);
    expect(await links('u-alice')).toBe(MAGIC_LINK_MAX_PER_WINDOW);
    expect((await stores.databases.regions.eu.get(MAGIC_LINK_THROTTLES, magicLinkThrottleId('acme', 'u-alice')))?.['sent_at']).toHaveLength(MAGIC_LINK_MAX_PER_WINDOW);
  });

  it('a link whose mail failed still counts (it was stored and may have gone out)', async () => {
    deps = { ...deps, mailer: { send: () => Promise.reject(new Error('smtp down')) } };
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await request()).outcome);
    expect(outcomes).toEqual(['mail_failed', 'mail_failed', 'mail_failed', 'throttled']);
    expect(await links('u-alice')).toBe(3);
  });

  it('requests that send nothing (unknown or malformed address, unknown tenant) leave no record and spend no quota', async () => {
    for (const [email, tenant] of [
      ['nobody@example.com', 'acme'],
      ['not an email', 'acme'],
      ['alice@example.com', 'nowhere'],
    ] as const) {
      for (let i = 0; i < 4; i++) expect((await request(email, tenant)).outcome).not.toBe('throttled');
    }
    expect(await stores.databases.regions.eu.query(MAGIC_LINK_THROTTLES, {})).toEqual([]);
    expect((await request()).outcome).toBe('sent');
  });
});
