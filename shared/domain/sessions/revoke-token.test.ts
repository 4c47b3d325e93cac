import { describe, expect, it } from 'vitest';
import { aClient, CLIENT, refreshWorld } from '../../../functions/refresh/testing/refresh-world.ts';
import { revokeToken } from './revoke-token.ts';
import { rotateRefreshToken } from './rotate-refresh-token.ts';

describe('revokeToken (RFC 7009)', () => {
  it('revoking a refresh token revokes its family: every token of it stops working at once, with an event and an audit event', async () => {
    const w = await refreshWorld();
    const user = await w.seedUser();
    const { token, sessionId } = await w.startFamily(user);
    const next = await rotateRefreshToken(w.deps, { refreshToken: token, clientId: CLIENT, client: aClient() });
    if (!next.ok || next.value.kind !== 'tokens') throw new Error('no rotation');
    const out = await revokeToken(w.deps, { token: next.value.body.refresh_token, tokenTypeHint: 'refresh_token', clientId: CLIENT, client: aClient() });
    expect(out).toEqual({ kind: 'revoked', tenantId: 'acme', sessionId });
    expect((await w.family(sessionId))?.revoked_reason).toBe('token_revoked');
    for (const t of [token, next.value.body.refresh_token]) {
      const r = await rotateRefreshToken(w.deps, { refreshToken: t, clientId: CLIENT, client: aClient() });
      expect(r.ok ? r.value.kind : r.error.reason).toBe('revoked');
    }
    const event = (await w.outbox()).find((e) => e.type === 'iam.session.revoked.v1');
    expect(event?.data).toMatchObject({ session_id: sessionId, reason: 'token_revoked', user_id: user.user_id });
    const audit = (await w.audit()).find((a) => a.action === 'session.revoked');
    expect(audit).toMatchObject({ actor: { type: 'user', id: user.user_id }, event_id: event?.id });
    // Idempotent: a second revocation changes nothing and emits nothing.
    expect(await revokeToken(w.deps, { token, tokenTypeHint: undefined, clientId: CLIENT, client: aClient() })).toMatchObject({ kind: 'already_revoked' });
    expect((await w.outbox()).filter((e) => e.type === 'iam.session.revoked.v1')).toHaveLength(1);
  });

  it('a rotated token of the family revokes it too (logout with a stale token)', async () => {
    const w = await refreshWorld();
    const { token, sessionId } = await w.startFamily(await w.seedUser());
    await rotateRefreshToken(w.deps, { refreshToken: token, clientId: CLIENT, client: aClient() });
    expect((await revokeToken(w.deps, { token, tokenTypeHint: 'access_token', clientId: CLIENT, client: aClient() })).kind).toBe('revoked');
    expect((await w.family(sessionId))?.revoked_at).not.toBeNull();
  });

  it('ignores what it cannot or must not revoke, without writing: other kinds, unknown tenants and tokens, another client', async () => {
    const w = await refreshWorld();
    const { token, sessionId } = await w.startFamily(await w.seedUser());
    const cases = [
      ['eyJhbGciOiJFUzI1NiJ9.e30.sig', 'not_a_refresh_token'],
      [`mfa.acme.${'A'.repeat(43)}`, 'not_a_refresh_token'],
      [`rt.nobody.${'A'.repeat(43)}`, 'unknown_tenant'],
      [`rt.acme.${'A'.repeat(43)}`, 'unknown_token'],
    ] as const;
    for (const [t, reason] of cases) {
      expect(await revokeToken(w.deps, { token: t, tokenTypeHint: undefined, clientId: CLIENT, client: aClient() })).toEqual({ kind: 'ignored', reason });
    }
    expect(await revokeToken(w.deps, { token, tokenTypeHint: undefined, clientId: 'other-app', client: aClient() })).toEqual({ kind: 'ignored', reason: 'client_mismatch' });
    expect((await w.family(sessionId))?.revoked_at).toBeNull();
    expect((await w.outbox()).filter((e) => e.type === 'iam.session.revoked.v1')).toHaveLength(0);
  });
});
