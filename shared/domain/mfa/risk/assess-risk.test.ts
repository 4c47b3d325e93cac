import { describe, expect, it } from 'vitest';
import { fakeClassifier, IPS, RISK_T0, riskWorld, type RiskWorld } from '../../../adapters/risk/testing/risk-world.ts';
import { isIamError } from '../../errors.ts';
import type { RiskClassifierOutcome } from '../../ports.ts';
import { assessRisk, type AssessRiskInput } from './assess-risk.ts';
import { RISK_SUGGESTIONS } from './classifier-policy.ts';
import { recordSighting } from './record-sighting.ts';
import { levelRank } from './risk-level.ts';

const SEC = 1000;
const HOUR = 3_600_000;

function attempt(overrides: Partial<AssessRiskInput> = {}): AssessRiskInput {
  return { tenantId: 'acme', userId: 'u1', deviceId: 'phone-1', ip: IPS.paris, event: 'login', recentFailures: 0, requestId: 'req-1', ...overrides };
}

/** The user was seen in a trusted context an hour ago: from Paris, on phone-1. */
async function knownUser(w: RiskWorld): Promise<void> {
  await recordSighting(w.deps, { tenantId: 'acme', userId: 'u1', deviceId: 'phone-1', ip: IPS.paris });
  w.clock.advance(HOUR);
}

const lastLine = (w: RiskWorld) => w.lines.at(-1) ?? {};
const ok = (suggestion: (typeof RISK_SUGGESTIONS)[number], score = 0.5): RiskClassifierOutcome => ({ kind: 'ok', score, suggestion, model: 'fake-1' });

describe('assessRisk', () => {
  it('allows a first login, trusts its context, and allows the next one from it', async () => {
    const w = await riskWorld();
    expect(await assessRisk(w.deps, attempt())).toEqual({ level: 'allow', rules: [], classifier: { status: 'disabled' }, cached: false, reviewId: null });
    w.clock.advance(HOUR);
    const s = await w.stores.uow.run('eu', (tx) => tx.riskSightings.get('acme', 'u1'));
    expect(s?.devices).toHaveLength(1);
    expect(s?.networks).toHaveLength(1);
    expect(s?.last_place).toEqual({ at: new Date(RISK_T0).toISOString(), lat: 48.9, lon: 2.4 });
    expect(await assessRisk(w.deps, attempt({ ip: IPS.parisSameNet }))).toEqual({ level: 'allow', rules: [], classifier: { status: 'disabled' }, cached: false, reviewId: null });
  });

  it('asks a new device for a step-up, does not trust it until recordSighting, then allows it', async () => {
    const w = await riskWorld();
    await knownUser(w);
    const r = await assessRisk(w.deps, attempt({ deviceId: 'laptop-7' }));
    expect(r.level).toBe('step_up');
    expect(r.rules.map((h) => h.rule)).toEqual(['new_device']);
    // An attempt that did not pass its step-up stays unknown: an hour later it is asked again.
    w.clock.advance(HOUR);
    expect((await assessRisk(w.deps, attempt({ deviceId: 'laptop-7' }))).level).toBe('step_up');
    // The second factor passed: mfa-verify trusts the context (with the masked IP of the mfa_token record).
    await recordSighting(w.deps, { tenantId: 'acme', userId: 'u1', deviceId: 'laptop-7', ip: '203.0.113.0/24' });
    // ...which also drops the step_up cached a moment ago for this network.
    expect(await assessRisk(w.deps, attempt({ deviceId: 'laptop-7' }))).toMatchObject({ level: 'allow', cached: false });
  });

  it('travel: Paris then Tokyo one hour later needs a hardware step-up; an unlocated network is judged by the other rules', async () => {
    const w = await riskWorld();
    await knownUser(w);
    await recordSighting(w.deps, { tenantId: 'acme', userId: 'u1', deviceId: 'phone-1', ip: IPS.tokyo });
    const r = await assessRisk(w.deps, attempt({ ip: IPS.london }));
    expect(r.level).toBe('hardware_step_up');
    expect(r.rules.map((h) => h.rule)).toEqual(['new_network', 'impossible_travel']);
    expect((await assessRisk(w.deps, attempt({ ip: IPS.nowhere }))).rules.map((h) => h.rule)).toEqual(['new_network']);
  });

  it('recent failures ask for a step-up even from a trusted context', async () => {
    const w = await riskWorld();
    await knownUser(w);
    expect(await assessRisk(w.deps, attempt({ recentFailures: 3 }))).toMatchObject({ level: 'step_up', rules: [{ rule: 'recent_failures', detail: { failures: 3 } }] });
  });

  describe('the cache: 60 s by (user, masked IP)', () => {
    it('answers the same decision within 60 s without writing, and decides afresh after', async () => {
      const c = fakeClassifier(ok('raise'));
      const w = await riskWorld({ classifier: c });
      await knownUser(w);
      const first = await assessRisk(w.deps, attempt());
      expect(first).toMatchObject({ level: 'step_up', cached: false, classifier: { status: 'ok', suggestion: 'raise' } });
      const audits = (await w.audit()).length;
      const commits = w.stores.databases.regions.eu.commits;
      w.clock.advance(59 * SEC);
      // Another address of the same /24, same device: the cached decision, with its provenance.
      expect(await assessRisk(w.deps, attempt({ ip: IPS.parisSameNet }))).toEqual({ ...first, cached: true });
      expect(c.calls).toHaveLength(1);
      expect((await w.audit()).length).toBe(audits);
      expect(w.stores.databases.regions.eu.commits).toBe(commits);
      expect(lastLine(w)).toMatchObject({ message: 'risk assessed', cached: true, level: 'step_up', classifier: 'ok' });
      w.clock.advance(1 * SEC);
      expect(await assessRisk(w.deps, attempt())).toMatchObject({ cached: false });
      expect(c.calls).toHaveLength(2);
    });

    it('is missed by another device, a failure since, another user, or another network', async () => {
      const w = await riskWorld();
      await knownUser(w);
      await assessRisk(w.deps, attempt());
      for (const other of [attempt({ deviceId: 'laptop-7' }), attempt({ recentFailures: 1 }), attempt({ userId: 'u2' }), attempt({ ip: IPS.london }), attempt({ event: 'refresh' })]) {
        expect((await assessRisk(w.deps, other)).cached, JSON.stringify(other)).toBe(false);
      }
    });

    it('is off with cacheSeconds 0', async () => {
      const w = await riskWorld({ cacheSeconds: 0 });
      await knownUser(w);
      await assessRisk(w.deps, attempt());
      expect((await assessRisk(w.deps, attempt())).cached).toBe(false);
      expect(await w.stores.databases.regions.eu.query('risk_cache', {})).toEqual([]);
    });
  });

  describe('the classifier can only raise the bar', () => {
    it('"lower" (score 0) while the rules say step_up: the decision stays step_up', async () => {
      const c = fakeClassifier(ok('lower', 0));
      const w = await riskWorld({ classifier: c });
      await knownUser(w);
      const r = await assessRisk(w.deps, attempt({ deviceId: 'laptop-7' }));
      expect(r).toMatchObject({ level: 'step_up', classifier: { status: 'ok', suggestion: 'lower', score: 0, model: 'fake-1' } });
      expect(lastLine(w)).toMatchObject({ level: 'step_up', rules_level: 'step_up', classifier: 'ok', classifier_suggestion: 'lower', decided_by: 'rules+classifier' });
    });

    it('over every suggestion and every rules level the engine produces, the decision is never below the rules', async () => {
      const setups: { name: string; input: Partial<AssessRiskInput>; rules: string }[] = [
        { name: 'trusted', input: {}, rules: 'allow' },
        { name: 'new device', input: { deviceId: 'laptop-7' }, rules: 'step_up' },
        { name: 'impossible travel', input: { ip: IPS.tokyo }, rules: 'hardware_step_up' },
      ];
      for (const setup of setups) {
        for (const suggestion of RISK_SUGGESTIONS) {
          for (const score of [0, 0.5, 1]) {
            const w = await riskWorld({ classifier: fakeClassifier(ok(suggestion, score)), cacheSeconds: 0 });
            await knownUser(w);
            const r = await assessRisk(w.deps, attempt(setup.input));
            const label = `${setup.name}/${suggestion}/${score}`;
            expect(lastLine(w)['rules_level'], label).toBe(setup.rules);
            expect(levelRank(r.level), label).toBeGreaterThanOrEqual(levelRank(setup.rules as never));
            expect(r.level, label).not.toBe('deny_pending_review');
            if (suggestion === 'lower' || suggestion === 'same') expect(r.level, label).toBe(setup.rules);
          }
        }
      }
    });

    it('"lock" never locks: a hardware step-up and one review item with provenance for a human, added to on repeats', async () => {
      const w = await riskWorld({ classifier: fakeClassifier(ok('lock', 0.98)), cacheSeconds: 0 });
      await knownUser(w);
      const r = await assessRisk(w.deps, attempt({ requestId: 'req-lock' }));
      expect(r.level).toBe('hardware_step_up');
      expect(r.reviewId).not.toBeNull();
      const review = await w.stores.uow.run('eu', (tx) => tx.riskReviews.get('acme', r.reviewId ?? ''));
      expect(review).toMatchObject({
        tenant_id: 'acme',
        user_id: 'u1',
        status: 'open',
        reason: 'classifier_lock',
        level: 'hardware_step_up',
        event: 'login',
        classifier: { status: 'ok', model: 'fake-1', score: 0.98, suggestion: 'lock' },
        network: '203.0.113.0/24',
        request_id: 'req-lock',
        occurrences: 1,
        resolved_at: null,
      });
      const again = await assessRisk(w.deps, attempt());
      expect(again.reviewId).toBe(r.reviewId);
      expect((await w.stores.uow.run('eu', (tx) => tx.riskReviews.listOpen('acme', 10))).map((x) => x.occurrences)).toEqual([2]);
      const actions = (await w.audit()).map((a) => a.action);
      expect(actions.filter((a) => a === 'risk.review_requested')).toHaveLength(1);
      // Nothing but risk state and audit was written: no user, no lockout, no session.
      const eu = w.stores.databases.regions.eu;
      for (const collection of ['users', 'lockouts', 'sessions', 'refresh_tokens']) expect(await eu.query(collection, {}), collection).toEqual([]);
    });
  });

  describe('without the classifier the rules decide, and the log and the audit say why', () => {
    const cases: { why: string; next: RiskClassifierOutcome | 'throw'; status: string; reason?: string }[] = [
      { why: 'timeout', next: { kind: 'timeout' }, status: 'timeout' },
      { why: 'a 500', next: { kind: 'error', reason: 'http_500' }, status: 'error', reason: 'http_500' },
      { why: 'a bug in the adapter', next: 'throw', status: 'error', reason: 'threw' },
      { why: 'an answer outside the contract', next: { kind: 'ok', score: Number.NaN, suggestion: 'lower', model: 'x' }, status: 'error', reason: 'invalid_response' },
    ];
    for (const c of cases) {
      it(`${c.why}: classifier ${c.status}`, async () => {
        const w = await riskWorld({ classifier: fakeClassifier(c.next) });
        await knownUser(w);
        const r = await assessRisk(w.deps, attempt({ deviceId: 'laptop-7' }));
        expect(r).toMatchObject({ level: 'step_up', classifier: { status: c.status, ...(c.reason ? { reason: c.reason } : {}) } });
        expect(lastLine(w)).toMatchObject({
          severity: 'WARNING',
          message: `risk assessed by the rules alone (classifier: ${c.status})`,
          classifier: c.status,
          decided_by: 'rules',
          level: 'step_up',
          rules: ['new_device'],
        });
        const audit = (await w.audit()).at(-1);
        expect(audit).toMatchObject({ action: 'risk.assessed', actor: { type: 'service', id: 'risk-engine' }, target: 'user/u1', request_id: 'req-1' });
        expect(audit?.details).toMatchObject({ level: 'step_up', decided_by: 'rules', classifier: { status: c.status } });
      });
    }

    it('over budget: the tenant\'s calls this minute are spent, the rules decide, and the log says over_budget', async () => {
      const c = fakeClassifier(ok('raise'));
      const w = await riskWorld({ classifier: c, breaker: { perMinute: 2 } });
      await assessRisk(w.deps, attempt({ userId: 'u1' })); // call 1
      await assessRisk(w.deps, attempt({ userId: 'u2' })); // call 2
      const r = await assessRisk(w.deps, attempt({ userId: 'u3' }));
      expect(c.calls).toHaveLength(2);
      expect(r).toMatchObject({ level: 'allow', classifier: { status: 'over_budget' } });
      expect(lastLine(w)).toMatchObject({ severity: 'WARNING', classifier: 'over_budget', decided_by: 'rules' });
      expect((await w.audit()).find((a) => a.target === 'user/u3')?.details).toMatchObject({ classifier: { status: 'over_budget' }, decided_by: 'rules' });
      w.clock.advance(60 * SEC);
      expect((await assessRisk(w.deps, attempt({ userId: 'u4' }))).classifier.status).toBe('ok');
    });

    it('three timeouts in a row open the circuit: the classifier is not called while open', async () => {
      const c = fakeClassifier({ kind: 'timeout' });
      const w = await riskWorld({ classifier: c, cacheSeconds: 0 });
      for (const u of ['u1', 'u2', 'u3']) await assessRisk(w.deps, attempt({ userId: u }));
      const r = await assessRisk(w.deps, attempt({ userId: 'u4' }));
      expect(c.calls).toHaveLength(3);
      expect(r.classifier).toEqual({ status: 'circuit_open' });
      expect(lastLine(w)).toMatchObject({ classifier: 'circuit_open', decided_by: 'rules' });
    });

    it('no classifier configured: disabled, logged at INFO', async () => {
      const w = await riskWorld();
      expect((await assessRisk(w.deps, attempt())).classifier).toEqual({ status: 'disabled' });
      expect(lastLine(w)).toMatchObject({ severity: 'INFO', classifier: 'disabled', decided_by: 'rules' });
    });
  });

  it('velocity: at the deny threshold the rules refuse pending review, without asking the classifier', async () => {
    const c = fakeClassifier(ok('lower'));
    const w = await riskWorld({ classifier: c, cacheSeconds: 0 });
    await knownUser(w);
    let r = await assessRisk(w.deps, attempt());
    for (let i = 0; i < 29; i++) {
      w.clock.advance(SEC);
      r = await assessRisk(w.deps, attempt({ event: 'refresh' }));
    }
    expect(r.level).toBe('deny_pending_review');
    expect(r.rules).toEqual([{ rule: 'velocity', level: 'deny_pending_review', detail: { attempts: 30, window_seconds: 600 } }]);
    expect(r.classifier).toEqual({ status: 'skipped' });
    expect(await w.stores.uow.run('eu', (tx) => tx.riskReviews.openForUser('acme', 'u1'))).toMatchObject({ reason: 'rules_deny', level: 'deny_pending_review' });
  });

  it('parallel attempts all count for velocity (the sightings are re-read in the writing transaction)', async () => {
    const w = await riskWorld({ cacheSeconds: 0 });
    await knownUser(w);
    await Promise.all(Array.from({ length: 8 }, (_, i) => assessRisk(w.deps, attempt({ deviceId: `d${i}` }))));
    expect((await w.stores.uow.run('eu', (tx) => tx.riskSightings.get('acme', 'u1')))?.attempts).toHaveLength(8);
  });

  it('never writes or logs a full address or a device id', async () => {
    const w = await riskWorld({ classifier: fakeClassifier(ok('lock')) });
    await knownUser(w);
    await assessRisk(w.deps, attempt({ ip: IPS.london, deviceId: 'laptop-secret-id' }));
    await assessRisk(w.deps, attempt({ ip: IPS.parisV6, deviceId: 'laptop-secret-id' }));
    const eu = w.stores.databases.regions.eu;
    const stored = JSON.stringify(await Promise.all(['risk_sightings', 'risk_cache', 'risk_reviews', 'audit'].map((c) => eu.query(c, {}))));
    const logged = w.raw.join('\n');
    for (const text of [stored, logged]) {
      expect(text).not.toMatch(/203\.0\.113\.9|198\.51\.100\.7|2001:db8:0:1::9|laptop-secret-id/);
    }
    expect(stored).toContain('198.51.100.0/24');
    expect(stored).toContain('2001:db8:0::/48');
    // The classifier got a pseudonym and the masked network, not the user id or the address.
    const signals = JSON.stringify((w.deps.classifier as ReturnType<typeof fakeClassifier>).calls);
    expect(signals).not.toMatch(/"u1"|203\.0\.113\.9|198\.51\.100\.7|laptop-secret-id/);
  });

  it('an unknown tenant is a caller bug: tenant_not_found', async () => {
    const w = await riskWorld();
    const err = await assessRisk(w.deps, attempt({ tenantId: 'nope' })).catch((e: unknown) => e);
    expect(isIamError(err, 'tenant_not_found')).toBe(true);
  });
});
