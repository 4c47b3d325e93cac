import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RiskSignals } from '../../domain/mfa/risk/classifier-policy.ts';
import { startRiskClassifierServer, type RiskClassifierServer } from '../../testing/risk-classifier-server.ts';
import { createHttpRiskClassifier } from './http-risk-classifier.ts';

const SIGNALS: RiskSignals = {
  tenant_id: 'acme',
  subject: 'c3ViamVjdA',
  event: 'login',
  network: '203.0.113.0/24',
  rules_level: 'step_up',
  rules: ['new_device'],
  features: { first_sighting: false, device_known: false, network_known: true, attempts_in_window: 1, recent_failures: 0 },
};

let server: RiskClassifierServer;
beforeAll(async () => {
  server = await startRiskClassifierServer({ slowMs: 1000 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.answer({ suggestion: 'same' });
});

describe('createHttpRiskClassifier', () => {
  it('POSTs the signals as JSON and returns the validated answer', async () => {
    server.answer({ suggestion: 'raise', score: 0.81, model: 'risk-gbm-2026-02' });
    const c = createHttpRiskClassifier({ url: server.url });
    expect(await c.classify(SIGNALS)).toEqual({ kind: 'ok', score: 0.81, suggestion: 'raise', model: 'risk-gbm-2026-02' });
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/classify');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(SIGNALS);
  });

  it('passes every suggestion through', async () => {
    const c = createHttpRiskClassifier({ url: server.url });
    for (const suggestion of ['lower', 'same', 'raise', 'lock'] as const) {
      server.answer({ suggestion, score: 0.2 });
      expect(await c.classify(SIGNALS)).toMatchObject({ kind: 'ok', suggestion });
    }
  });

  it('sends the extra headers (an ID token for a private service)', async () => {
    const c = createHttpRiskClassifier({ url: server.url, headers: async () => ({ authorization: 'Bearer id-token' }) });
    await c.classify(SIGNALS);
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer id-token');
  });

  it('a server that hangs is a timeout after about timeoutMs (AbortSignal.timeout)', async () => {
    server.setMode('hang');
    const c = createHttpRiskClassifier({ url: server.url, timeoutMs: 300 });
    const started = performance.now();
    expect(await c.classify(SIGNALS)).toEqual({ kind: 'timeout' });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it('an answer later than the timeout is a timeout', async () => {
    server.setMode('slow');
    expect(await createHttpRiskClassifier({ url: server.url, timeoutMs: 200 }).classify(SIGNALS)).toEqual({ kind: 'timeout' });
  });

  it('a 500 is an error with its status', async () => {
    server.setMode('500');
    expect(await createHttpRiskClassifier({ url: server.url }).classify(SIGNALS)).toEqual({ kind: 'error', reason: 'http_500' });
  });

  it('an answer outside the contract is an error (valibot)', async () => {
    server.setMode('garbage');
    expect(await createHttpRiskClassifier({ url: server.url }).classify(SIGNALS)).toEqual({ kind: 'error', reason: 'invalid_response' });
    for (const score of [-0.1, 1.5]) {
      server.answer({ suggestion: 'lower', score });
      expect(await createHttpRiskClassifier({ url: server.url }).classify(SIGNALS)).toEqual({ kind: 'error', reason: 'invalid_response' });
    }
    server.answer({ suggestion: 'lower', model: '' });
    expect(await createHttpRiskClassifier({ url: server.url }).classify(SIGNALS)).toEqual({ kind: 'error', reason: 'invalid_response' });
  });

  it('a refused connection is a network error, not a throw', async () => {
    const other = await startRiskClassifierServer();
    const url = other.url;
    await other.close();
    expect(await createHttpRiskClassifier({ url }).classify(SIGNALS)).toEqual({ kind: 'error', reason: 'network' });
  });

  it('refuses a bad URL or timeout at construction', () => {
    expect(() => createHttpRiskClassifier({ url: 'ftp://127.0.0.1/x' })).toThrow(/http/);
    expect(() => createHttpRiskClassifier({ url: server.url, timeoutMs: 0 })).toThrow(/timeout/);
    expect(() => createHttpRiskClassifier({ url: server.url, timeoutMs: 1.5 })).toThrow(/timeout/);
  });
});
