import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSuccessor, sealSuccessor } from '../../domain/sessions/refresh-grace.ts';
import { hashOpaqueToken } from '../../domain/tokens/opaque-token.ts';
import { createLocalSecretSource } from '../local/local-secret-source.ts';
import { memorySecretSource } from '../../testing/mfa-world.ts';
import { createRefreshGraceCipher, DEFAULT_REFRESH_GRACE_KEK_SECRET, ensureLocalRefreshGraceSecret } from './refresh-grace-secrets.ts';

const TOKEN = `rt.acme.${'A'.repeat(43)}`;

describe('refresh grace cipher', () => {
  const cipher = createRefreshGraceCipher(memorySecretSource({ [DEFAULT_REFRESH_GRACE_KEK_SECRET]: new Uint8Array(randomBytes(32)) }));

  it('seals the successor, never in clear, and opens it only with the same parent and family', async () => {
    const hash = await hashOpaqueToken(TOKEN);
    const sealed = await sealSuccessor(cipher, TOKEN, 'parent-hash', 'family-1');
    expect(JSON.stringify(sealed)).not.toContain(TOKEN.slice(8));
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from(TOKEN).toString('base64url').slice(0, 20));
    expect(sealed.kid).toBe(DEFAULT_REFRESH_GRACE_KEK_SECRET);
    await expect(openSuccessor(cipher, sealed, 'parent-hash', 'family-1', hash)).resolves.toBe(TOKEN);
    await expect(openSuccessor(cipher, sealed, 'other-parent', 'family-1', hash)).rejects.toThrow();
    await expect(openSuccessor(cipher, sealed, 'parent-hash', 'family-2', hash)).rejects.toThrow();
  });

  it('refuses a ciphertext that opens but names another successor, and a tampered one', async () => {
    const sealed = await sealSuccessor(cipher, TOKEN, 'p', 'f');
    await expect(openSuccessor(cipher, sealed, 'p', 'f', await hashOpaqueToken(`${TOKEN}x`))).rejects.toThrow(/does not match/);
    const flipped = sealed.ciphertext.startsWith('A') ? `B${sealed.ciphertext.slice(1)}` : `A${sealed.ciphertext.slice(1)}`;
    await expect(openSuccessor(cipher, { ...sealed, ciphertext: flipped }, 'p', 'f', await hashOpaqueToken(TOKEN))).rejects.toThrow();
  });

  it('another KEK cannot open it', async () => {
    const other = createRefreshGraceCipher(memorySecretSource({ [DEFAULT_REFRESH_GRACE_KEK_SECRET]: new Uint8Array(randomBytes(32)) }));
    const sealed = await sealSuccessor(cipher, TOKEN, 'p', 'f');
    await expect(openSuccessor(other, sealed, 'p', 'f', await hashOpaqueToken(TOKEN))).rejects.toThrow();
  });

  it('ensureLocalRefreshGraceSecret creates the KEK once and keeps it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'grace-'));
    try {
      ensureLocalRefreshGraceSecret(dir);
      const first = readFileSync(path.join(dir, DEFAULT_REFRESH_GRACE_KEK_SECRET), 'utf8');
      ensureLocalRefreshGraceSecret(dir);
      expect(readFileSync(path.join(dir, DEFAULT_REFRESH_GRACE_KEK_SECRET), 'utf8')).toBe(first);
      const local = createRefreshGraceCipher(createLocalSecretSource(dir));
      const sealed = await sealSuccessor(local, TOKEN, 'p', 'f');
      await expect(openSuccessor(local, sealed, 'p', 'f', await hashOpaqueToken(TOKEN))).resolves.toBe(TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
