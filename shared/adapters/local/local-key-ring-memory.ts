import type { LocalKeySet, LocalKeyStore } from './local-key-ring.ts';

/**
 * A {@link LocalKeyStore} in memory: the test double and reference for the
 * Firestore store. Transactions run one at a time, so they are serialisable.
 */
export function memoryKeyStore(): LocalKeyStore & { snapshot(): LocalKeySet | undefined } {
  let state: LocalKeySet | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    read: async () => state,
    transact: (change) => {
      const run = queue.then(async () => {
        const next = await change(state);
        if (next !== undefined) state = next;
        return state;
      });
      queue = run.catch(() => undefined);
      return run;
    },
    snapshot: () => state,
  };
}
