import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { factorSecretAad } from '../../domain/mfa/factor.ts';
import { createLocalSecretSource } from '../local/local-secret-source.ts';
import { createMfaCryptoDeps, DEFAULT_MFA_KEK_SECRET, DEFAULT_MFA_PEPPER_SECRET, ensureLocalMfaSecrets } from './mfa-secrets.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'iam-mfa-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MFA crypto wiring over the local secret directory', () => {
  it('creates the KEK and the pepper once, keeps them, and seals and opens with them', async () => {
    ensureLocalMfaSecrets(dir);
    const kek = readFileSync(path.join(dir, DEFAULT_MFA_KEK_SECRET), 'utf8');
    ensureLocalMfaSecrets(dir);
    expect(readFileSync(path.join(dir, DEFAULT_MFA_KEK_SECRET), 'utf8')).toBe(kek);
    expect(readFileSync(path.join(dir, DEFAULT_MFA_PEPPER_SECRET), 'utf8')).not.toBe(kek);

    const aad = factorSecretAad({ tenant_id: 't', user_id: 'u', factor_id: 'f' });
    const sealed = await createMfaCryptoDeps(createLocalSecretSource(dir)).cipher.seal(new Uint8Array([1, 2, 3]), aad);
    expect(sealed.kid).toBe(DEFAULT_MFA_KEK_SECRET);
    // A new process (new deps) over the same directory opens it.
    expect(await createMfaCryptoDeps(createLocalSecretSource(dir)).cipher.open(sealed, aad)).toEqual(new Uint8Array([1, 2, 3]));
    const pepper = await createMfaCryptoDeps(createLocalSecretSource(dir)).recoveryPepper.current();
    expect(pepper).toMatchObject({ id: DEFAULT_MFA_PEPPER_SECRET });
    expect(pepper.key).toHaveLength(32);
  });
});
