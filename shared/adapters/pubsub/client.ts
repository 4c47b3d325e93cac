/**
 * The one Pub/Sub client of a process (STYLE rule 3: built once, reused by
 * warm instances). Locally it speaks to the emulator over plain gRPC.
 */
import { PubSub } from '@google-cloud/pubsub';

/** Where the client connects. */
export interface PubSubTarget {
  readonly projectId: string;
  /** `host:port` of the Pub/Sub emulator; production when absent. */
  readonly emulatorHost: string | undefined;
}

const clients = new Map<string, PubSub>();

/**
 * The process's client for `target`, created on first use. Set
 * `METADATA_SERVER_DETECTION=none` in the environment wherever this runs
 * locally, or the auth library probes the GCE metadata server.
 */
export function pubsubClient(target: PubSubTarget): PubSub {
  const key = `${target.projectId}@${target.emulatorHost ?? 'google'}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new PubSub({
      projectId: target.projectId,
      // An apiEndpoint that is not a googleapis host puts the client in
      // emulator mode: insecure channel, no credentials.
      ...(target.emulatorHost === undefined ? {} : { apiEndpoint: target.emulatorHost, emulatorMode: true }),
    });
    clients.set(key, client);
  }
  return client;
}

/** Closes every client this module created (tests and CLI exit). */
export async function closePubsubClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => c.close()));
}
