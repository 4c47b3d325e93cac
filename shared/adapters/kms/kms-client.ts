import { KeyManagementServiceClient } from '@google-cloud/kms';

/** Where the KMS client connects: Google's endpoint, or a loopback test server. */
export interface KmsClientConfig {
  /** `host:port` of a plaintext test server (`IAM_KMS_ENDPOINT`); undefined in production. */
  readonly endpoint: string | undefined;
}

/**
 * Builds the Cloud KMS client. Call once per process (module scope) and reuse.
 * With a test endpoint it speaks gRPC without TLS to that loopback server,
 * the way SPEC section 2 describes; `@grpc/grpc-js` is then loaded for its
 * insecure credentials (a dev dependency: production never takes this path).
 */
export async function createKmsClient(config: KmsClientConfig): Promise<KeyManagementServiceClient> {
  if (config.endpoint === undefined) return new KeyManagementServiceClient();
  const [host, port] = splitHostPort(config.endpoint);
  const grpc = await import('@grpc/grpc-js');
  const options: ConstructorParameters<typeof KeyManagementServiceClient>[0] = {
    apiEndpoint: host,
    port,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
  return new KeyManagementServiceClient(options);
}

function splitHostPort(endpoint: string): [string, number] {
  const i = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, i), Number(endpoint.slice(i + 1))];
}
