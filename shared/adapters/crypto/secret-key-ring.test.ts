import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalSecretSource, ensureLocalSecret } from '../local/local-secret-source.ts';
import { memorySecretSource } from '../../testing/mfa-world.ts';
import { createSecretKeyRing, keyFromPayload } from './secret-key-ring.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'iam-keyring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keyFromPayload', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  it('takes 32 raw bytes, or base64url / base64 text of 32 bytes (a trailing newline ignored)', () => {
    expect(keyFromPayload('k', key)).toEqual(key);
    expect(keyFromPayload('k', new TextEncoder().encode(Buffer.from(key).toString('base64url')))).toEqual(key);
    expect(keyFromPayload('k', new TextEncoder().encode(`${Buffer.from(key).toString('base64')}\n`))).toEqual(key);
  });

  it('refuses anything else, naming the secret but never showing it', () => {
    for (const bad of [new Uint8Array(16), new Uint8Array(33), new TextEncoder().encode('hunter2'), new TextEncoder().encode(Buffer.alloc(16).toString('base64url')), new TextEncoder().encode(Buffer.alloc(33).toString('base64url'))]) {
      expect(() => keyFromPayload('iam-mfa-kek', bad)).toThrow(/secret 'iam-mfa-kek' is not a 32-byte key/);
    }
  });
});

describe('createSecretKeyRing', () => {
  it('reads the local secrets npm start writes (43 base64url characters) as 32-byte keys', async () => {
    ensureLocalSecret(dir, 'kek-a');
    const ring = createSecretKeyRing(createLocalSecretSource(dir), { current: 'kek-a' });
    const current = await ring.current();
    expect(current.id).toBe('kek-a');
    expect(current.key).toHaveLength(32);
    expect(await ring.get('kek-a')).toEqual(current.key);
  });

  it('serves current and previous ids, nothing else, and reads each secret once', async () => {
    const source = memorySecretSource({ new: new Uint8Array(32).fill(2), old: new Uint8Array(32).fill(1), other: new Uint8Array(32).fill(3) });
    const ring = createSecretKeyRing(source, { current: 'new', previous: ['old'] });
    expect((await ring.current()).key).toEqual(new Uint8Array(32).fill(2));
    expect(await ring.get('old')).toEqual(new Uint8Array(32).fill(1));
    expect(await ring.get('other')).toBeUndefined();
    await ring.get('new');
    await ring.current();
    expect(source.reads).toBe(2);
  });

  it('retries a read that failed (an outage is not cached)', async () => {
    writeFileSync(path.join(dir, 'late'), 'x'.repeat(10));
    const source = createLocalSecretSource(dir);
    const ring = createSecretKeyRing(source, { current: 'late' });
    await expect(ring.current()).rejects.toThrow(/not a 32-byte key/);
    writeFileSync(path.join(dir, 'late'), Buffer.alloc(32, 7));
    expect((await ring.current()).key).toEqual(new Uint8Array(32).fill(7));
  });
});
