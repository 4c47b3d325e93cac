import { describe, expect, it } from 'vitest';
import { IamError } from '../domain/errors.ts';
import { fakeRequest } from './fixtures/request.ts';
import { router, type Route } from './router.ts';
import { statusOf } from './status.ts';
import type { HttpRequest } from './types.ts';

/** A handler that answers which route ran and with which params. */
const answer =
  (name: string): Route['handler'] =>
  async (req: HttpRequest) => ({ status: 200, body: { route: name, params: req.params } });

const routes: Route[] = [
  { method: 'POST', path: '/v1/login', handler: answer('login') },
  { method: 'GET', path: '/v1/sessions', handler: answer('list-sessions') },
  { method: 'DELETE', path: '/v1/sessions/:session_id', handler: answer('delete-session') },
  { method: 'POST', path: '/v1/sessions/revoke-others', handler: answer('revoke-others') },
  { method: 'GET', path: '/v1/tenants/:tenant_id/ca', handler: answer('tenant-ca') },
  { method: 'GET', path: '/.well-known/jwks.json', handler: answer('jwks') },
];
const handle = router(routes);

async function call(method: string, path: string) {
  return handle(fakeRequest({ method, path }));
}

async function refusal(method: string, path: string): Promise<IamError> {
  try {
    await call(method, path);
  } catch (e) {
    expect(e).toBeInstanceOf(IamError);
    return e as IamError;
  }
  throw new Error(`expected ${method} ${path} to be refused`);
}

describe('router', () => {
  it('dispatches on method and path', async () => {
    expect((await call('POST', '/v1/login')).body).toEqual({ route: 'login', params: {} });
    expect((await call('GET', '/v1/sessions')).body).toEqual({ route: 'list-sessions', params: {} });
    expect((await call('GET', '/.well-known/jwks.json')).body).toEqual({ route: 'jwks', params: {} });
  });

  it('answers 404 not_found for an unknown path', async () => {
    for (const path of ['/', '/v1', '/v1/logins', '/v1/login/extra', '/v2/login', '/V1/LOGIN']) {
      const err = await refusal('POST', path);
      expect(err.code, path).toBe('not_found');
      expect(statusOf(err.code)).toBe(404);
    }
  });

  it('answers 405 method_not_allowed for a known path with another method', async () => {
    const err = await refusal('GET', '/v1/login');
    expect(err.code).toBe('method_not_allowed');
    expect(statusOf(err.code)).toBe(405);
    expect(err.message).toBe('GET is not allowed on this path');
    expect((await refusal('POST', '/v1/sessions/s1')).code).toBe('method_not_allowed');
    expect((await refusal('PUT', '/v1/tenants/t1/ca')).code).toBe('method_not_allowed');
  });

  it('serves HEAD with the GET route', async () => {
    expect((await call('HEAD', '/v1/sessions')).body).toMatchObject({ route: 'list-sessions' });
    expect((await refusal('HEAD', '/v1/login')).code).toBe('method_not_allowed');
  });

  it('prefers a literal route over a parameter when it comes first for its method', async () => {
    expect((await call('POST', '/v1/sessions/revoke-others')).body).toMatchObject({ route: 'revoke-others' });
    expect((await call('DELETE', '/v1/sessions/revoke-others')).body).toEqual({
      route: 'delete-session',
      params: { session_id: 'revoke-others' },
    });
  });

  it('passes route parameters, percent-decoded', async () => {
    expect((await call('DELETE', '/v1/sessions/s-123')).body).toEqual({ route: 'delete-session', params: { session_id: 's-123' } });
    expect((await call('DELETE', '/v1/sessions/a%20b%C3%A9')).body).toMatchObject({ params: { session_id: 'a bé' } });
    expect((await call('GET', '/v1/tenants/acme/ca')).body).toEqual({ route: 'tenant-ca', params: { tenant_id: 'acme' } });
  });

  it('keeps an encoded slash inside one parameter instead of matching more segments', async () => {
    expect((await call('DELETE', '/v1/sessions/a%2Fb')).body).toMatchObject({ params: { session_id: 'a/b' } });
    expect((await call('GET', '/v1/tenants/t1%2Fca/ca')).body).toMatchObject({ params: { tenant_id: 't1/ca' } });
  });

  it('answers a bad percent-encoding with a 4xx, never a 5xx', async () => {
    for (const path of ['/v1/sessions/%E0%A4%A', '/v1/sessions/%', '/v1/sessions/%zz', '/v1/tenants/%C0%AF/ca']) {
      const err = await refusal('DELETE', path);
      expect(err.code, path).toBe('not_found');
      expect(statusOf(err.code)).toBeLessThan(500);
    }
  });

  it('ignores empty segments (trailing or doubled slashes)', async () => {
    expect((await call('POST', '/v1/login/')).body).toMatchObject({ route: 'login' });
    expect((await call('POST', '//v1//login')).body).toMatchObject({ route: 'login' });
  });

  it('does not mutate the incoming request', async () => {
    const req = fakeRequest({ method: 'DELETE', path: '/v1/sessions/s1' });
    await handle(req);
    expect(req.params).toEqual({});
  });

  it('lets a handler error through unchanged', async () => {
    const boom = new IamError('invalid_grant', 'no');
    const h = router([{ method: 'POST', path: '/x', handler: async () => Promise.reject(boom) }]);
    await expect(h(fakeRequest({ method: 'POST', path: '/x' }))).rejects.toBe(boom);
  });
});
