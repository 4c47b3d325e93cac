import { describe, expect, it } from 'vitest';
import { aClient, CLIENT, refreshWorld } from '../../../functions/refresh/testing/refresh-world.ts';
import { coalesceRefreshes } from './refresh-coalescing.ts';
import { rotateRefreshToken, type RotateRefreshTokenInput } from './rotate-refresh-token.ts';

describe('coalesceRefreshes', () => {
  it('identical requests in flight share one rotation; another client or a later request runs its own', async () => {
    const w = await refreshWorld();
    const { token } = await w.startFamily(await w.seedUser());
    let calls = 0;
    const refresh = coalesceRefreshes((input: RotateRefreshTokenInput) => (calls++, rotateRefreshToken(w.deps, input)));
    const input = { refreshToken: token, clientId: CLIENT, client: aClient() };
    const [a, b, c, wrong] = await Promise.all([refresh(input), refresh(input), refresh({ ...input, client: aClient('203.0.113.9') }), refresh({ ...input, clientId: 'other' })]);
    expect(calls).toBe(2);
    expect(a).toBe(b);
    expect(a).toBe(c);
    expect(wrong.ok ? 'ok' : wrong.error.reason).toBe('client_mismatch');
    const later = await refresh(input);
    expect(calls).toBe(3);
    expect(later.ok && later.value.kind === 'tokens' ? later.value.via : undefined).toBe('grace');
  });
});
