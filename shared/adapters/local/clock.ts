import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, Random } from '../../domain/ports.ts';

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** The CSPRNG. */
export const cryptoRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
  uuid: () => randomUUID(),
};

/** A clock tests can move by hand. */
export function fixedClock(start: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}
