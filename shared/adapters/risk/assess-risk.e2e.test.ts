/** assessRisk on Firestore (the emulator): the transactions, the cache and the review queue on the real adapter. */
import { afterAll, describe, expect, it } from 'vitest';
import { assessRisk, type AssessRiskInput } from '../../domain/mfa/risk/assess-risk.ts';
import { recordSighting } from '../../domain/mfa/risk/record-sighting.ts';
import { loadConfig } from '../../config.ts';
import { silentLogger } from '../../log.ts';
import { testEnv, testProjectId } from '../../testing/emulator.ts';
import { createFirestoreStores, terminateFirestoreClients } from '../firestore/stores.ts';
import { cryptoRandom, fixedClock } from '../local/clock.ts';
import { seedTenant } from '../store/contracts/fixtures.ts';
import { fakeClassifier } from './testing/risk-world.ts';
import { openRiskEngine } from './open-risk-engine.ts';

afterAll(terminateFirestoreClients);

const login = (overrides: Partial<AssessRiskInput> = {}): AssessRiskInput => ({
  tenantId: 'acme',
  userId: 'u1',
  deviceId: 'phone-1',
  ip: '203.0.113.9',
  event: 'login',
  recentFailures: 0,
  ...overrides,
});

describe('assessRisk on the Firestore emulator', () => {
  it('trusts a first login, steps up a new device, caches for 60 s across instances, and queues a lock for review', async () => {
    const config = loadConfig(testEnv(testProjectId('risk'), { IAM_RISK_GEOIP: '203.0.113.0/24=48.86,2.35' }));
    const stores = createFirestoreStores(config);
    await seedTenant(stores, 'acme', 'eu');
    const clock = fixedClock(Date.UTC(2026, 2, 1, 12));
    const classifier = fakeClassifier({ kind: 'ok', score: 0.2, suggestion: 'lower', model: 'm' });
    const base = { uow: stores.uow, directory: stores.directory, clock, random: cryptoRandom, log: silentLogger, classifier };
    const one = openRiskEngine(config.risk, base);
    const two = openRiskEngine(config.risk, base); // another instance

    expect(await assessRisk(one, login())).toMatchObject({ level: 'allow', cached: false });
    clock.advance(3_600_000);
    const stepUp = await assessRisk(one, login({ deviceId: 'laptop-7' }));
    expect(stepUp).toMatchObject({ level: 'step_up', cached: false, classifier: { status: 'ok', suggestion: 'lower' } });
    clock.advance(30_000);
    expect(await assessRisk(two, login({ deviceId: 'laptop-7', ip: '203.0.113.77' }))).toEqual({ ...stepUp, cached: true });

    await recordSighting(two, { tenantId: 'acme', userId: 'u1', deviceId: 'laptop-7', ip: '203.0.113.0/24' });
    expect(await assessRisk(one, login({ deviceId: 'laptop-7' }))).toMatchObject({ level: 'allow', cached: false });

    classifier.next = { kind: 'ok', score: 0.99, suggestion: 'lock', model: 'm' };
    const locked = await assessRisk(one, login({ deviceId: 'tablet-3' }));
    expect(locked.level).toBe('hardware_step_up');
    expect(await stores.uow.run('eu', (tx) => tx.riskReviews.listOpen('acme', 10))).toMatchObject([{ id: locked.reviewId, reason: 'classifier_lock', status: 'open' }]);
    const audit = await stores.uow.run('eu', (tx) => tx.audit.between('2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', 'acme'));
    expect(audit.filter((a) => a.action === 'risk.assessed')).toHaveLength(4);
    expect(audit.filter((a) => a.action === 'risk.review_requested')).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('203.0.113.9');
  });
});
