/**
 * Creates the Pub/Sub resources of `topology.ts` on the emulator: every topic
 * and its DLQ with 7-day retention, the push subscriptions with their
 * dead-letter policy, and the pull "taps". Idempotent: existing resources are
 * left as they are.
 */
import { PubSub } from '@google-cloud/pubsub';
import {
  dlqOf,
  EMULATOR_ORDERED_PUSH,
  MAX_DELIVERY_ATTEMPTS,
  PUSH_ACK_DEADLINE_SECONDS,
  PUSH_RETRY,
  RETENTION_SECONDS,
  SUBSCRIPTIONS,
  TOPICS,
  type SubscriptionSpec,
  type TopicSpec,
} from './topology.ts';

/** What {@link createPubsubTopology} made. */
export interface PubsubTopologyReport {
  readonly topics: string[];
  readonly subscriptions: Array<{ readonly name: string; readonly topic: string; readonly kind: 'push' | 'pull'; readonly endpoint?: string }>;
  /** Push subscriptions left out because their function is not part of this stack. */
  readonly skipped: Array<{ readonly name: string; readonly function: string }>;
}

/** Options for {@link createPubsubTopology}. */
export interface PubsubTopologyOptions {
  /** The emulator's `host:port`. */
  readonly emulatorHost: string;
  readonly projectId: string;
  /** The base URL (`http://127.0.0.1:port`) of a running function, or `undefined`. */
  readonly functionUrl: (fn: string) => string | undefined;
  readonly topics?: readonly TopicSpec[];
  readonly subscriptions?: readonly SubscriptionSpec[];
}

/** ALREADY_EXISTS, the gRPC code for a resource that is there already. */
const ALREADY_EXISTS = 6;

/** Creates the topics, DLQs and subscriptions on the emulator. */
export async function createPubsubTopology(options: PubsubTopologyOptions): Promise<PubsubTopologyReport> {
  const pubsub = new PubSub({ projectId: options.projectId, apiEndpoint: options.emulatorHost, emulatorMode: true });
  const report: PubsubTopologyReport = { topics: [], subscriptions: [], skipped: [] };
  try {
    const retention = { seconds: RETENTION_SECONDS };
    for (const topic of options.topics ?? TOPICS) {
      for (const name of [dlqOf(topic.name), topic.name]) {
        await idempotent(pubsub.createTopic({ name, messageRetentionDuration: retention }));
        report.topics.push(name);
      }
    }
    for (const sub of options.subscriptions ?? SUBSCRIPTIONS) {
      if (sub.kind === 'pull') {
        await idempotent(
          pubsub.topic(sub.topic).createSubscription(sub.name, {
            messageRetentionDuration: retention,
            enableMessageOrdering: sub.ordered,
          }),
        );
        report.subscriptions.push({ name: sub.name, topic: sub.topic, kind: 'pull' });
        continue;
      }
      const base = options.functionUrl(sub.function);
      if (base === undefined) {
        report.skipped.push({ name: sub.name, function: sub.function });
        continue;
      }
      const endpoint = new URL(sub.path, base).toString();
      await idempotent(
        pubsub.topic(sub.topic).createSubscription(sub.name, {
          pushConfig: { pushEndpoint: endpoint },
          ackDeadlineSeconds: PUSH_ACK_DEADLINE_SECONDS,
          messageRetentionDuration: retention,
          enableMessageOrdering: sub.ordered && EMULATOR_ORDERED_PUSH,
          deadLetterPolicy: {
            deadLetterTopic: pubsub.topic(dlqOf(sub.topic)).name,
            maxDeliveryAttempts: MAX_DELIVERY_ATTEMPTS,
          },
          retryPolicy: {
            minimumBackoff: { seconds: PUSH_RETRY.local.minimumBackoffSeconds },
            maximumBackoff: { seconds: PUSH_RETRY.local.maximumBackoffSeconds },
          },
        }),
      );
      report.subscriptions.push({ name: sub.name, topic: sub.topic, kind: 'push', endpoint });
    }
    return report;
  } finally {
    await pubsub.close();
  }
}

async function idempotent(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if ((e as { code?: unknown }).code !== ALREADY_EXISTS) throw e;
  }
}
