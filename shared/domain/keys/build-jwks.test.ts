import { describe, expect, it } from 'vitest';
import { isIamError } from '../errors.ts';
import type { KeyStatus, PublicJwk } from '../ports.ts';
import { buildJwks } from './build-jwks.ts';

const jwk = (kid: string): PublicJwk => ({ kty: 'EC', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}`, kid, use: 'sig', alg: 'ES256' });
const ring = (entries: [KeyStatus, PublicJwk][]) => ({
  published: async () => entries.map(([status, j]) => ({ status, jwk: j })),
});

describe('buildJwks', () => {
  it('lists current, next, previous in that order whatever order the ring gives', async () => {
    const jwks = await buildJwks(ring([['previous', jwk('p')], ['next', jwk('n')], ['current', jwk('c')]]));
    expect(jwks.keys.map((k) => k.kid)).toEqual(['c', 'n', 'p']);
    expect(jwks.keys[0]).toEqual(jwk('c'));
  });

  it('publishes a kid once even if two roles share a key', async () => {
    const jwks = await buildJwks(ring([['current', jwk('c')], ['next', jwk('c')]]));
    expect(jwks.keys.map((k) => k.kid)).toEqual(['c']);
  });

  it('copies only public members: a private d handed in by mistake is never published', async () => {
    const leaky = { ...jwk('c'), d: 'secret', extra: 1 } as unknown as PublicJwk;
    const jwks = await buildJwks(ring([['current', leaky]]));
    expect(jwks.keys[0]).toEqual(jwk('c'));
    expect(JSON.stringify(jwks)).not.toContain('secret');
  });

  it('throws when the ring has no current key', async () => {
    const error = await buildJwks(ring([['next', jwk('n')]])).catch((e: unknown) => e);
    expect(isIamError(error, 'server_error')).toBe(true);
    expect(isIamError(await buildJwks(ring([])).catch((e: unknown) => e), 'server_error')).toBe(true);
  });
});
