/**
 * Issue 5 acceptance for adaptive MFA, end to end through the HTTP adapter
 * and the loopback classifier: with the classifier answering "lower the
 * bar" the decision stays at the rules' level; with it timing out, failing
 * or over budget the rules decide and the log says why.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assessRisk, type AssessRiskInput } from '../../domain/mfa/risk/assess-risk.ts';
import { recordSighting } from '../../domain/mfa/risk/record-sighting.ts';
import type { RiskDeps } from '../../domain/mfa/risk/risk-deps.ts';
import { createLogger } from '../../log.ts';
import { startRiskClassifierServer, type RiskClassifierServer } from '../../testing/risk-classifier-server.ts';
import { cryptoRandom, fixedClock } from '../local/clock.ts';
import { createMemoryStores, type MemoryStores } from '../memory/stores.ts';
import { seedTenant } from '../store/contracts/fixtures.ts';
import { openRiskEngine } from './open-risk-engine.ts';
import { parseRiskConfig, type RiskConfig } from './risk-config.ts';

let server: RiskClassifierServer;
beforeAll(async () => {
  server = await startRiskClassifierServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.answer({ suggestion: 'same' });
});

interface World {
  readonly deps: RiskDeps;
  readonly stores: MemoryStores;
  readonly lines: Record<string, unknown>[];
}

async function world(extra: Record<string, string> = {}): Promise<World> {
  const config = parseRiskConfig({ IAM_RISK_CLASSIFIER_URL: server.url, IAM_RISK_GEOIP: '203.0.113.0/24=48.86,2.35', ...extra }) as RiskConfig;
  const stores = createMemoryStores();
  await seedTenant(stores, 'acme', 'eu');
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ service: 'token', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const deps = openRiskEngine(config, { uow: stores.uow, directory: stores.directory, clock: fixedClock(Date.UTC(2026, 2, 1, 12)), random: cryptoRandom, log });
  // The user is known from home on the phone.
  await recordSighting(deps, { tenantId: 'acme', userId: 'u1', deviceId: 'phone-1', ip: '203.0.113.9' });
  return { deps, stores, lines };
}

/** A login from a laptop never seen: the rules say step_up. */
const newDevice = (userId = 'u1'): AssessRiskInput => ({ tenantId: 'acme', userId, deviceId: 'laptop-7', ip: '203.0.113.9', event: 'login', recentFailures: 0 });

const riskLine = (w: World) => w.lines.filter((l) => String(l['message']).startsWith('risk assessed')).at(-1) ?? {};

describe('adaptive MFA through the HTTP classifier', () => {
  it('"lower the bar" (score 0) while the rules say step_up: the decision stays step_up', async () => {
    server.answer({ suggestion: 'lower', score: 0, model: 'risk-gbm-1' });
    const w = await world();
    const r = await assessRisk(w.deps, newDevice());
    expect(r).toMatchObject({ level: 'step_up', rules: [{ rule: 'new_device' }], classifier: { status: 'ok', suggestion: 'lower', score: 0, model: 'risk-gbm-1' } });
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({ tenant_id: 'acme', event: 'login', network: '203.0.113.0/24', rules_level: 'step_up', rules: ['new_device'] });
    expect(server.requests[0]?.body).not.toMatch(/u1|203\.0\.113\.9|laptop-7/);
    expect(riskLine(w)).toMatchObject({ severity: 'INFO', level: 'step_up', classifier: 'ok', classifier_model: 'risk-gbm-1', classifier_score: 0, decided_by: 'rules+classifier' });
  });

  it('a classifier that hangs: timeout after 300 ms, the rules decide, and the log says why', async () => {
    server.setMode('hang');
    const w = await world();
    const started = performance.now();
    const r = await assessRisk(w.deps, newDevice());
    expect(performance.now() - started).toBeLessThan(1500);
    expect(r).toMatchObject({ level: 'step_up', classifier: { status: 'timeout' } });
    expect(riskLine(w)).toMatchObject({ severity: 'WARNING', message: 'risk assessed by the rules alone (classifier: timeout)', classifier: 'timeout', decided_by: 'rules', level: 'step_up' });
  });

  it('a classifier answering 500: the rules decide, and the log says error http_500', async () => {
    server.setMode('500');
    const w = await world();
    expect(await assessRisk(w.deps, newDevice())).toMatchObject({ level: 'step_up', classifier: { status: 'error', reason: 'http_500' } });
    expect(riskLine(w)).toMatchObject({ severity: 'WARNING', classifier: 'error', classifier_reason: 'http_500', decided_by: 'rules' });
  });

  it('over the tenant budget: no call is made, the rules decide, and the log says over_budget', async () => {
    server.answer({ suggestion: 'raise', score: 0.7 });
    const w = await world({ IAM_RISK_CLASSIFIER_BUDGET_PER_MINUTE: '2' });
    expect((await assessRisk(w.deps, newDevice('u2'))).classifier.status).toBe('ok');
    expect((await assessRisk(w.deps, newDevice('u3'))).classifier.status).toBe('ok');
    const r = await assessRisk(w.deps, newDevice());
    expect(server.requests).toHaveLength(2);
    expect(r).toMatchObject({ level: 'step_up', classifier: { status: 'over_budget' } });
    expect(riskLine(w)).toMatchObject({ severity: 'WARNING', message: 'risk assessed by the rules alone (classifier: over_budget)', decided_by: 'rules' });
  });

  it('"lock": a hardware step-up and a review item, the account untouched', async () => {
    server.answer({ suggestion: 'lock', score: 0.99, model: 'risk-gbm-1' });
    const w = await world();
    const r = await assessRisk(w.deps, newDevice());
    expect(r.level).toBe('hardware_step_up');
    const open = await w.stores.uow.run('eu', (tx) => tx.riskReviews.listOpen('acme', 10));
    expect(open).toMatchObject([{ id: r.reviewId, user_id: 'u1', reason: 'classifier_lock', classifier: { model: 'risk-gbm-1', score: 0.99, suggestion: 'lock' } }]);
    expect(riskLine(w)).toMatchObject({ review_id: r.reviewId, level: 'hardware_step_up' });
  });
});
