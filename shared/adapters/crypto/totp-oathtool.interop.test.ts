/**
 * Interop with an independent TOTP implementation (SPEC section 6): Debian's
 * `oathtool` (OATH Toolkit, `apt-get install oathtool`; `.ci/run` installs
 * it). Its codes for our enrolled secrets are accepted by our verifier, and
 * ours equal its own for the same instant, for SHA1, SHA256 and SHA512.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { confirmTotp } from '../../domain/mfa/confirm-totp.ts';
import { enrollTotp } from '../../domain/mfa/enroll-totp.ts';
import { matchTotp, totpAt, TOTP_SECRET_BYTES } from '../../domain/mfa/totp.ts';
import { verifyTotp } from '../../domain/mfa/verify-totp.ts';
import type { HmacAlgorithm } from '../../domain/ports.ts';
import { mfaWorld } from '../../testing/mfa-world.ts';
import { nodeMfaCrypto } from './mfa-crypto.ts';

/** `oathtool --totp[=ALG] -b -d DIGITS -N @SECONDS SECRET`: the code at a fixed instant. */
function oathtool(secretBase32: string, atMs: number, options: { readonly alg?: HmacAlgorithm; readonly digits?: number } = {}): string {
  const mode = options.alg === undefined || options.alg === 'SHA1' ? '--totp' : `--totp=${options.alg}`;
  const seconds = Math.floor(atMs / 1000);
  return execFileSync('oathtool', [mode, '-b', '-d', String(options.digits ?? 6), '-N', `@${seconds}`, secretBase32], { encoding: 'utf8' }).trim();
}

describe('TOTP interop with oathtool (OATH Toolkit)', () => {
  it('oathtool is installed (a missing peer fails, it does not skip)', () => {
    expect(execFileSync('oathtool', ['--version'], { encoding: 'utf8' })).toMatch(/OATH Toolkit/);
  });

  it('an enrolled secret: oathtool codes confirm the factor and finish a login; the same code again is refused', async () => {
    const w = await mfaWorld();
    await w.seedUser({ tenant_id: 'acme', user_id: 'alice' });
    const actor = { type: 'user', id: 'alice' } as const;
    const enrolled = await enrollTotp(w.deps, { tenantId: 'acme', userId: 'alice', issuer: 'Melmastoon', actor, requestId: null });
    if (enrolled.kind !== 'enrolled') throw new Error(enrolled.kind);
    expect(enrolled.secret).toMatch(/^[A-Z2-7]{32}$/); // 20 bytes, no padding
    expect(new URL(enrolled.otpauthUri).searchParams.get('secret')).toBe(enrolled.secret);

    const confirmCode = oathtool(enrolled.secret, w.clock.now());
    expect(await confirmTotp(w.deps, { tenantId: 'acme', userId: 'alice', code: confirmCode, actor, requestId: null })).toMatchObject({ kind: 'confirmed' });

    w.clock.advance(30_000);
    const loginCode = oathtool(enrolled.secret, w.clock.now());
    const attempt = { tenantId: 'acme', userId: 'alice', mfaTokenHash: 'token-1', code: loginCode };
    expect(await verifyTotp(w.deps, attempt)).toMatchObject({ kind: 'verified', factorId: enrolled.factorId });
    expect(await verifyTotp(w.deps, { ...attempt, mfaTokenHash: 'token-2' })).toEqual({ kind: 'replayed' });
  });

  it('accepts the oathtool codes of the previous and next step, not two steps away', async () => {
    const secret = new Uint8Array(20).map((_, i) => i * 7 + 1);
    const b32 = nodeMfaCrypto.base32Encode(secret);
    const now = Date.UTC(2026, 5, 1, 8, 0, 10);
    const p = { algorithm: 'SHA1' as const, key: secret, digits: 6, period: 30, lastUsedStep: null };
    for (const [offset, kind] of [[-30, 'match'], [0, 'match'], [30, 'match'], [-60, 'invalid_code'], [60, 'invalid_code']] as const) {
      const code = oathtool(b32, now + offset * 1000);
      expect((await matchTotp(nodeMfaCrypto, p, code, now)).kind, `offset ${offset}s`).toBe(kind);
    }
  });

  for (const alg of ['SHA1', 'SHA256', 'SHA512'] as const) {
    it(`${alg}: our codes equal oathtool's at many instants (6 and 8 digits)`, async () => {
      const secret = new Uint8Array(TOTP_SECRET_BYTES[alg]).map((_, i) => (i * 31 + 5) & 0xff);
      const b32 = nodeMfaCrypto.base32Encode(secret);
      for (const t of [0, 59_000, 1_111_111_109_000, 1_234_567_890_000, Date.UTC(2026, 2, 1, 12, 0, 29), 20_000_000_000_000]) {
        for (const digits of [6, 8]) {
          const ours = await totpAt(nodeMfaCrypto, { algorithm: alg, key: secret, digits, period: 30 }, t);
          expect(ours, `${alg} ${digits} digits at ${t}`).toBe(oathtool(b32, t, { alg, digits }));
        }
      }
    });
  }
});
