/**
 * A loopback Secret Manager for tests. It speaks the real gRPC wire protocol,
 * built from the `.proto` definitions `@google-cloud/secret-manager` ships
 * (`build/protos/protos.json`), and implements `AccessSecretVersion` with the
 * payload CRC32C the service sets: `versions/latest` (the newest version) and
 * numbered versions, NOT_FOUND for an unknown secret, FAILED_PRECONDITION for
 * a disabled version.
 *
 * {@link SecretManagerTestServer.setMode} makes it fail (`UNAVAILABLE`), hang,
 * or corrupt the payload (checksum of the original, one bit flipped).
 * Everything else answers `UNIMPLEMENTED`. Test-only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { crc32c } from '../adapters/kms/crc32c.ts';

/** How the server answers. */
export type SecretManagerServerMode = 'ok' | 'unavailable' | 'hang' | 'corrupt';

/** A running test Secret Manager. */
export interface SecretManagerTestServer {
  /** `127.0.0.1:port`, the value for `IAM_SECRET_MANAGER_ENDPOINT`. */
  readonly endpoint: string;
  /** Every version name asked for, in order. */
  readonly accessed: readonly string[];
  /** Adds a version to `projects/<project>/secrets/<secret>` and returns its full name. */
  addVersion(project: string, secret: string, data: Uint8Array | string): string;
  /** Disables one version (full name). */
  disable(versionName: string): void;
  setMode(mode: SecretManagerServerMode): void;
  close(): Promise<void>;
}

interface Version {
  readonly data: Buffer;
  enabled: boolean;
}

/** Starts a test Secret Manager on a free loopback port. */
export async function startSecretManagerTestServer(): Promise<SecretManagerTestServer> {
  const secrets = new Map<string, Version[]>();
  const accessed: string[] = [];
  let mode: SecretManagerServerMode = 'ok';

  const server = new grpc.Server();
  server.addService(serviceDefinition(), {
    AccessSecretVersion: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const name = call.request.name;
      accessed.push(name);
      if (mode === 'hang') return;
      if (mode === 'unavailable') return callback({ code: grpc.status.UNAVAILABLE, details: 'test Secret Manager is unavailable' });
      const m = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
      const versions = m === null ? undefined : secrets.get(m[1] as string);
      if (m === null || versions === undefined) return callback({ code: grpc.status.NOT_FOUND, details: `Secret [${name}] not found` });
      let n: number;
      // `latest` is the most recently created version, whatever its state.
      if (m[2] === 'latest') {
        n = versions.length - 1;
      } else {
        n = /^\d+$/.test(m[2] as string) ? Number(m[2]) - 1 : -1;
      }
      const version = versions[n];
      if (version === undefined) return callback({ code: grpc.status.NOT_FOUND, details: `Secret Version [${name}] not found` });
      if (!version.enabled) return callback({ code: grpc.status.FAILED_PRECONDITION, details: `Secret Version [${name}] is in DISABLED state` });
      const data = Buffer.from(version.data);
      const crc = crc32c(data);
      if (mode === 'corrupt') data[0] = (data[0] as number) ^ 1;
      callback(null, { name: `${m[1]}/versions/${n + 1}`, payload: { data, dataCrc32c: crc } });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    endpoint: `127.0.0.1:${port}`,
    accessed,
    addVersion(project, secret, data) {
      const key = `projects/${project}/secrets/${secret}`;
      const list = secrets.get(key) ?? [];
      list.push({ data: Buffer.from(data), enabled: true });
      secrets.set(key, list);
      return `${key}/versions/${list.length}`;
    },
    disable(versionName) {
      const m = /^(.*)\/versions\/(\d+)$/.exec(versionName);
      const v = m === null ? undefined : secrets.get(m[1] as string)?.[Number(m[2]) - 1];
      if (v === undefined) throw new Error(`no version ${versionName}`);
      v.enabled = false;
    },
    setMode(m) {
      mode = m;
    },
    close: async () => {
      server.forceShutdown();
    },
  };
}

let cached: grpc.ServiceDefinition | undefined;

/** The SecretManagerService definition, from the protos.json the client package ships. */
function serviceDefinition(): grpc.ServiceDefinition {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const protosJson = join(dirname(require.resolve('@google-cloud/secret-manager')), '..', 'protos', 'protos.json');
  const definition = protoLoader.fromJSON(JSON.parse(readFileSync(protosJson, 'utf8')), { longs: Number, enums: String, defaults: false, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } };
  };
  cached = loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
  return cached;
}
