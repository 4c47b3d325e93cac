/**
 * The {@link EventPublisher} port on Pub/Sub, with message ordering.
 *
 * Ordering keys need `messageOrdering: true` on the publisher; after a failed
 * publish the client pauses that key (every later publish with it fails) until
 * `resumePublishing(key)`, which we call before reporting the failure so the
 * relay's next attempt can go through.
 */
import type { PubSub, Topic } from '@google-cloud/pubsub';
import type { EventPublisher, OutgoingMessage } from '../../domain/ports.ts';

/** An {@link EventPublisher} that can flush what it has batched. */
export interface PubSubPublisher extends EventPublisher {
  /** Sends whatever the client still batches. */
  flush(): Promise<void>;
}

/** Builds the publisher over the process's client (see `pubsubClient`). */
export function createPubSubPublisher(client: PubSub): PubSubPublisher {
  const topics = new Map<string, Topic>();
  const topicOf = (name: string): Topic => {
    let topic = topics.get(name);
    if (topic === undefined) {
      topic = client.topic(name, { messageOrdering: true });
      topics.set(name, topic);
    }
    return topic;
  };
  return {
    async publish(message: OutgoingMessage): Promise<string> {
      const topic = topicOf(message.topic);
      try {
        return await topic.publishMessage({
          data: Buffer.from(message.data),
          attributes: { ...message.attributes },
          orderingKey: message.orderingKey,
        });
      } catch (e) {
        topic.resumePublishing(message.orderingKey);
        throw e;
      }
    },
    async flush(): Promise<void> {
      await Promise.all([...topics.values()].map((t) => t.flush()));
    },
  };
}
