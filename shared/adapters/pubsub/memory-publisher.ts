/**
 * An in-memory {@link EventPublisher}: a test double that records what it was
 * given and can be told to fail.
 */
import type { EventPublisher, OutgoingMessage } from '../../domain/ports.ts';

/** The recording publisher. */
export interface MemoryPublisher extends EventPublisher {
  /** Every accepted message, in order. */
  readonly messages: readonly OutgoingMessage[];
  /** Makes publishes fail while `predicate` returns true for the message. */
  failWhen(predicate: ((message: OutgoingMessage) => boolean) | undefined): void;
}

/** Creates a recording publisher. */
export function createMemoryPublisher(): MemoryPublisher {
  const messages: OutgoingMessage[] = [];
  let failing: ((message: OutgoingMessage) => boolean) | undefined;
  return {
    messages,
    failWhen(predicate) {
      failing = predicate;
    },
    async publish(message) {
      await Promise.resolve();
      if (failing?.(message) === true) throw new Error('publish refused by the test double');
      messages.push(message);
      return String(messages.length);
    },
  };
}
