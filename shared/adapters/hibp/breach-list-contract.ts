/**
 * The `BreachList` contract suite: what every breach-check adapter must do,
 * run against the HIBP range adapter (over the loopback range server) and the
 * offline list (both layouts).
 */
import { describe, expect, it } from 'vitest';
import type { BreachList } from '../../domain/ports.ts';

/** The passwords every contract source must hold: count > 0 breached, count 0 only as padding. */
export const CONTRACT_PASSWORDS: Readonly<Record<string, number>> = {
  'P@ssw0rd': 52_256,
  'pässwörd-ünïcode': 3,
  'only ever seen as padding': 0,
};

/** Runs the contract against adapters built by `make` over {@link CONTRACT_PASSWORDS}. */
export function breachListContract(name: string, make: () => Promise<BreachList> | BreachList): void {
  describe(`BreachList contract: ${name}`, () => {
    it('answers breached for a listed password', async () => {
      expect(await (await make()).check('P@ssw0rd')).toBe('breached');
    });

    it('hashes the UTF-8 bytes of a non-ASCII password', async () => {
      const list = await make();
      expect(await list.check('pässwörd-ünïcode')).toBe('breached');
      // The same letters in NFD are other bytes: the caller passes the NFKC form.
      expect(await list.check('pässwörd-ünïcode'.normalize('NFD'))).toBe('clean');
    });

    it('answers clean for an unlisted password, and for a count-0 (padding) entry', async () => {
      const list = await make();
      expect(await list.check('a long and unremarkable passphrase 7f3a')).toBe('clean');
      expect(await list.check('only ever seen as padding')).toBe('clean');
    });

    it('is case-sensitive, as the passwords are', async () => {
      expect(await (await make()).check('p@ssw0rd')).toBe('clean');
    });
  });
}
