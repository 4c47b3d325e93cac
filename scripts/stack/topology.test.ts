import { describe, expect, it } from 'vitest';
import { dlqOf, JOBS, resolvePorts, routeFor, SUBSCRIPTIONS, TOPICS, URL_MAP } from './topology.ts';

describe('routeFor (the URL map)', () => {
  it.each([
    ['/.well-known/jwks.json', 'token'],
    ['/v1/login', 'token'],
    ['/v1/magic-link', 'token'],
    ['/v1/magic-link/redeem', 'token'],
    ['/v1/token', 'refresh'],
    ['/v1/revoke', 'refresh'],
    ['/v1/sessions', 'refresh'],
    ['/v1/sessions/revoke-others', 'refresh'],
    ['/v1/mfa/totp/enroll', 'mfa-verify'],
    ['/v1/devices/certificates/renew', 'device-cert-issue'],
    ['/v1/tenants/t1/ca', 'device-cert-issue'],
    ['/v1/users', 'accounts'],
    ['/v1/users/u1/roles', 'accounts'],
    ['/v1/me/password', 'accounts'],
    ['/v1/admin/tenants/t1/revoke', 'accounts'],
  ])('%s -> %s', (path, fn) => {
    expect(routeFor(path)).toBe(fn);
  });

  it.each(['/', '/jobs/outbox-relay', '/jobs/health', '/v1/login/extra', '/v1/tokens', '/v1/mfa', '/v1/devices', '/.well-known', '/v1/userslist'])(
    'does not route %s',
    (path) => {
      expect(routeFor(path)).toBeUndefined();
    },
  );

  it('prefers the longest match and an exact rule over a prefix rule', () => {
    const map = [
      { function: 'a', paths: ['/v1/*'] },
      { function: 'b', paths: ['/v1/x/*'] },
      { function: 'c', paths: ['/v1/x/'] },
    ];
    expect(routeFor('/v1/y', map)).toBe('a');
    expect(routeFor('/v1/x/z', map)).toBe('b');
    expect(routeFor('/v1/x/', map)).toBe('c');
  });

  it('uses only load-balancer path syntax (a * only at the end, after a /)', () => {
    for (const rule of URL_MAP) for (const p of rule.paths) expect(p).toMatch(/^\/[^*]*(\/\*)?$/);
  });
});

describe('resolvePorts', () => {
  it('defaults to the documented ports', () => {
    const p = resolvePorts(['token', 'jobs', 'zeta', 'alpha']);
    expect(p).toMatchObject({ edgeHttp: 8080, edgeHttps: 8443, firestore: 8181, pubsub: 8085 });
    expect(p.functions).toEqual({ token: 8101, jobs: 8108, alpha: 8120, zeta: 8121 });
  });

  it('moves every port with IAM_STACK_PORT_BASE and lets single ports win', () => {
    const p = resolvePorts(['token'], { IAM_STACK_PORT_BASE: '20000', IAM_STACK_PUBSUB_PORT: '20999' });
    expect(p).toMatchObject({ edgeHttp: 20080, edgeHttps: 20443, firestore: 20181, pubsub: 20999, functions: { token: 20101 } });
  });

  it('refuses malformed, out-of-range and colliding ports', () => {
    expect(() => resolvePorts([], { IAM_STACK_PORT_BASE: 'abc' })).toThrow(/IAM_STACK_PORT_BASE/);
    expect(() => resolvePorts([], { IAM_STACK_PORT_BASE: '65500' })).toThrow(/out of range/);
    expect(() => resolvePorts(['token'], { IAM_STACK_EDGE_HTTP_PORT: '8101' })).toThrow(/share port 8101/);
  });
});

describe('Pub/Sub topology', () => {
  it('gives every topic a DLQ with a pull tap, and every push subscription a DLQ topic that exists', () => {
    const topics = new Set(TOPICS.flatMap((t) => [t.name, dlqOf(t.name)]));
    for (const t of TOPICS) expect(SUBSCRIPTIONS.some((s) => s.topic === dlqOf(t.name) && s.kind === 'pull')).toBe(true);
    for (const s of SUBSCRIPTIONS) expect(topics.has(s.topic)).toBe(true);
    expect(SUBSCRIPTIONS.find((s) => s.name === 'tenant-events-push')).toMatchObject({ kind: 'push', function: 'tenant-events' });
    expect(SUBSCRIPTIONS.find((s) => s.name === 'gdpr-erasure-push')).toMatchObject({ kind: 'push', function: 'erasure-handler' });
    expect(SUBSCRIPTIONS.find((s) => s.name === 'iam-events-tap')).toMatchObject({ kind: 'pull', topic: 'iam-events' });
  });

  it('schedules jobs under /jobs/ only', () => {
    for (const j of JOBS) expect(j.path.startsWith('/jobs/')).toBe(true);
    expect(JOBS.find((j) => j.name === 'outbox-relay')?.localEveryMs).toBeLessThanOrEqual(2000);
  });
});
