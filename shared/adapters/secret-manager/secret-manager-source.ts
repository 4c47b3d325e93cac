/**
 * The `SecretSource` port on Secret Manager (`@google-cloud/secret-manager` v7):
 * `AccessSecretVersion` of `projects/<project>/secrets/<name>/versions/latest`
 * (or a full version name), with the payload's CRC32C checked.
 */
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { IamError } from '../../domain/errors.ts';
import type { SecretSource } from '../../domain/ports.ts';
import { crc32c } from '../kms/crc32c.ts';
import { SecretNotFoundError } from '../local/local-secret-source.ts';

/** Where the client connects: Google's endpoint, or a loopback test server. */
export interface SecretManagerClientConfig {
  /** `host:port` of a plaintext test server (`IAM_SECRET_MANAGER_ENDPOINT`); undefined in production. */
  readonly endpoint: string | undefined;
}

/**
 * Builds the Secret Manager client. Call once per process and reuse. With a
 * test endpoint it speaks gRPC without TLS to that loopback server (SPEC
 * section 2); `@grpc/grpc-js` is loaded only then (production never is).
 */
export async function createSecretManagerClient(config: SecretManagerClientConfig): Promise<SecretManagerServiceClient> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  if (config.endpoint === undefined) return new SecretManagerServiceClient();
  const i = config.endpoint.lastIndexOf(':');
  const grpc = await import('@grpc/grpc-js');
  return new SecretManagerServiceClient({
    apiEndpoint: config.endpoint.slice(0, i),
    port: Number(config.endpoint.slice(i + 1)),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
}

/** Options of {@link createSecretManagerSource}. */
export interface SecretManagerSourceOptions {
  /** The project holding the secrets. */
  readonly projectId: string;
  /** Deadline of one access, ms (default 5000). */
  readonly timeoutMs?: number;
}

const FULL_NAME = /^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/;
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** gRPC status codes we tell apart (google.rpc.Code). */
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const FAILED_PRECONDITION = 9;

/** A {@link SecretSource} on Secret Manager. `get` takes a secret id (latest version) or a full version name. */
export function createSecretManagerSource(client: SecretManagerServiceClient, options: SecretManagerSourceOptions): SecretSource {
  const timeout = options.timeoutMs ?? 5000;
  return {
    async get(name) {
      let resource: string;
      if (FULL_NAME.test(name)) resource = name;
      else if (SECRET_ID.test(name)) resource = `projects/${options.projectId}/secrets/${name}/versions/latest`;
      else throw new TypeError(`invalid secret name '${name.slice(0, 40)}'`);
      let response;
      try {
        [response] = await client.accessSecretVersion({ name: resource }, { timeout, retry: null });
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (code === NOT_FOUND || code === FAILED_PRECONDITION) {
          // Missing, or its version disabled or destroyed: a deployment error.
          throw new SecretNotFoundError(`secret '${name}' is not accessible (${code === NOT_FOUND ? 'not found' : 'disabled or destroyed'})`, { cause: e });
        }
        if (code === PERMISSION_DENIED) throw new Error(`no permission to access secret '${name}'`, { cause: e });
        throw new IamError('temporarily_unavailable', 'Secret Manager is unavailable', { cause: e, retryAfter: 1 });
      }
      const data = response.payload?.data;
      if (data === undefined || data === null) throw new Error(`secret '${name}' has no payload`);
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
      const expected = response.payload?.dataCrc32c;
      // Secret Manager's data integrity check: the payload as the service stored it.
      if (expected !== undefined && expected !== null && Number(expected) !== crc32c(bytes)) {
        throw new IamError('temporarily_unavailable', 'Secret Manager returned a corrupted payload', { retryAfter: 1 });
      }
      return bytes;
    },
  };
}
