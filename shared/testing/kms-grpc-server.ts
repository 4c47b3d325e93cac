/**
 * A loopback Cloud KMS for tests. It speaks the real gRPC wire protocol,
 * built from the `.proto` definitions `@google-cloud/kms` ships, and implements
 * the two calls the signer uses, with real P-256 keys:
 *
 * - `GetPublicKey`: the PEM SubjectPublicKeyInfo, its CRC32C, the algorithm.
 * - `AsymmetricSign`: an ECDSA signature over the SHA-256 digest the client
 *   sends, DER-encoded as KMS returns it, with the CRC32C fields KMS sets.
 *
 * {@link KmsTestServer.setMode} makes it fail (`UNAVAILABLE`), hang (never
 * answer), or corrupt its answers (checksums that do not match), for the whole
 * server or for one key version: the circuit breaker and failover tests use it.
 *
 * Everything else answers `UNIMPLEMENTED`. Test-only: never used in production.
 */
import { createECDH, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { crc32c } from '../adapters/kms/crc32c.ts';

/** How the server answers. */
export type KmsServerMode = 'ok' | 'unavailable' | 'hang' | 'corrupt';

/** A running test KMS. */
export interface KmsTestServer {
  /** `127.0.0.1:port`, the value for `IAM_KMS_ENDPOINT`. */
  readonly endpoint: string;
  readonly port: number;
  /** Resource names of the key versions created so far, in creation order. */
  readonly keyVersions: readonly string[];
  /** Calls received, by method (counted in every mode). */
  readonly calls: { getPublicKey: number; asymmetricSign: number };
  /** Creates a key version holding a fresh P-256 key and returns its resource name. */
  addKeyVersion(name?: string): string;
  /** The public key of a key version, for verifying independently. */
  publicKey(name: string): KeyObject;
  /** Sets the mode of the whole server, or of one key version (which wins over the server's). */
  setMode(mode: KmsServerMode, keyVersion?: string): void;
  /** Stops the server, cancelling calls left hanging. */
  close(): Promise<void>;
}

/** Options for {@link startKmsTestServer}. */
export interface KmsTestServerOptions {
  /** How many key versions to create up front (default 3: current, next, previous). */
  readonly keyVersions?: number;
  /** The CryptoKey the versions belong to. */
  readonly cryptoKey?: string;
}

const DEFAULT_CRYPTO_KEY = 'projects/demo-iam/locations/europe-west1/keyRings/iam/cryptoKeys/token-signing';
/** The order n of P-256 (SEC 2 §2.4.2). */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

interface Key {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly d: bigint;
  readonly pem: string;
}

/** Starts a test KMS on a free loopback port. */
export async function startKmsTestServer(options: KmsTestServerOptions = {}): Promise<KmsTestServer> {
  const cryptoKey = options.cryptoKey ?? DEFAULT_CRYPTO_KEY;
  const keys = new Map<string, Key>();
  const modes = new Map<string, KmsServerMode>();
  let serverMode: KmsServerMode = 'ok';
  const calls = { getPublicKey: 0, asymmetricSign: 0 };
  const modeOf = (name: string): KmsServerMode => modes.get(name) ?? serverMode;

  const server = new grpc.Server();
  server.addService(kmsServiceDefinition(), {
    GetPublicKey: (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls.getPublicKey++;
      const name = call.request.name;
      const mode = modeOf(name);
      if (mode === 'hang') return;
      if (mode === 'unavailable') return callback(unavailable());
      const key = keys.get(name);
      if (key === undefined) return callback(notFound(name));
      const pemCrc = crc32c(new TextEncoder().encode(key.pem));
      callback(null, {
        pem: key.pem,
        algorithm: 'EC_SIGN_P256_SHA256',
        pemCrc32c: { value: mode === 'corrupt' ? (pemCrc ^ 1) >>> 0 : pemCrc },
        name,
        protectionLevel: 'HSM',
      });
    },
    AsymmetricSign: (call: grpc.ServerUnaryCall<SignRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls.asymmetricSign++;
      const { name, digest, digestCrc32c } = call.request;
      const mode = modeOf(name);
      if (mode === 'hang') return;
      if (mode === 'unavailable') return callback(unavailable());
      const key = keys.get(name);
      if (key === undefined) return callback(notFound(name));
      const sha256 = digest?.sha256;
      if (sha256 === undefined || sha256.length !== 32) {
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'digest.sha256 must be 32 bytes' });
      }
      const verified = digestCrc32c !== undefined && digestCrc32c !== null;
      if (verified && Number(digestCrc32c.value) !== crc32c(sha256)) {
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'digest_crc32c does not match' });
      }
      const signature = derSignature(signDigest(key.d, sha256));
      const signatureCrc = crc32c(signature);
      // `corrupt` flips one bit of the signature but keeps the checksum of the original.
      if (mode === 'corrupt') signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 1;
      callback(null, {
        signature,
        signatureCrc32c: { value: signatureCrc },
        verifiedDigestCrc32c: verified,
        name,
        protectionLevel: 'HSM',
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  const keyVersions: string[] = [];
  const addKeyVersion = (name = `${cryptoKey}/cryptoKeyVersions/${keyVersions.length + 1}`): string => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const d = BigInt(`0x${Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url').toString('hex')}`);
    keys.set(name, { privateKey, publicKey, d, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() });
    keyVersions.push(name);
    return name;
  };
  for (let i = 0; i < (options.keyVersions ?? 3); i++) addKeyVersion();

  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    keyVersions,
    calls,
    addKeyVersion,
    publicKey: (name) => {
      const key = keys.get(name);
      if (key === undefined) throw new Error(`no key version ${name}`);
      return key.publicKey;
    },
    setMode: (mode, keyVersion) => {
      if (keyVersion === undefined) serverMode = mode;
      else modes.set(keyVersion, mode);
    },
    close: async () => {
      // forceShutdown cancels the calls left hanging; tryShutdown would wait for them.
      server.forceShutdown();
    },
  };
}

interface SignRequest {
  readonly name: string;
  readonly digest?: { readonly sha256?: Buffer } | null;
  readonly digestCrc32c?: { readonly value: number | string } | null;
}

let cachedDefinition: grpc.ServiceDefinition | undefined;

/** The KeyManagementService definition, from the protos.json the client package ships. */
function kmsServiceDefinition(): grpc.ServiceDefinition {
  if (cachedDefinition !== undefined) return cachedDefinition;
  const require = createRequire(import.meta.url);
  const protosJson = join(dirname(require.resolve('@google-cloud/kms')), '..', 'protos', 'protos.json');
  const definition = protoLoader.fromJSON(JSON.parse(readFileSync(protosJson, 'utf8')), {
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { kms: { v1: { KeyManagementService: { service: grpc.ServiceDefinition } } } } };
  };
  cachedDefinition = loaded.google.cloud.kms.v1.KeyManagementService.service;
  return cachedDefinition;
}

function unavailable(): grpc.ServiceError {
  return Object.assign(new Error('test KMS is unavailable'), {
    code: grpc.status.UNAVAILABLE,
    details: 'test KMS is unavailable',
    metadata: new grpc.Metadata(),
  });
}

function notFound(name: string): Partial<grpc.StatusObject> {
  return { code: grpc.status.NOT_FOUND, details: `CryptoKeyVersion ${name} not found` };
}

/**
 * ECDSA over a digest the caller already computed (SEC 1 §4.1.3, steps 1-6).
 * Node signs only whole messages, and KMS receives only the digest, so the
 * test server does the scalar arithmetic itself and lets OpenSSL (ECDH) do the
 * point multiplication k·G.
 */
function signDigest(d: bigint, digest: Uint8Array): { r: bigint; s: bigint } {
  const z = BigInt(`0x${Buffer.from(digest).toString('hex')}`);
  for (;;) {
    const k = BigInt(`0x${randomBytes(32).toString('hex')}`);
    if (k === 0n || k >= N) continue;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
    const point = ecdh.getPublicKey();
    const r = BigInt(`0x${point.subarray(1, 33).toString('hex')}`) % N;
    if (r === 0n) continue;
    const s = (modPow(k, N - 2n, N) * ((z + r * d) % N)) % N;
    if (s === 0n) continue;
    return { r, s };
  }
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** `SEQUENCE { INTEGER r, INTEGER s }` in DER. */
function derSignature({ r, s }: { r: bigint; s: bigint }): Uint8Array {
  const int = (v: bigint): number[] => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    const bytes = [...Buffer.from(hex, 'hex')];
    if ((bytes[0] as number) & 0x80) bytes.unshift(0);
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...int(r), ...int(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}

