import type { KeyRing, KeyStatus, PublicJwk } from '../../domain/ports.ts';
import { createKmsSigner, type KmsApi, type KmsSignerOptions, type KmsTokenSigner } from './kms-signer.ts';

/** The KMS key versions of the ring (CryptoKeyVersion resource names). */
export interface KmsKeyVersions {
  readonly current: string;
  readonly next?: string | undefined;
  readonly previous?: string | undefined;
}

/** A key ring over Cloud KMS key versions, which can also hand out any of its signers. */
export interface KmsKeyRing extends KeyRing {
  /** The signer of one role, e.g. to probe a key before it becomes current. */
  signer(status: KeyStatus): Promise<KmsTokenSigner | undefined>;
}

/**
 * The key ring of production: which key version is current, next and previous
 * is configuration (`IAM_KMS_KEY_*`), changed by a rotation's deploy. Public
 * keys of a KMS key version never change, so each is fetched once per
 * instance; a failed fetch is retried on the next call.
 */
export function createKmsKeyRing(kms: KmsApi, versions: KmsKeyVersions, options: KmsSignerOptions = {}): KmsKeyRing {
  const signers = new Map<string, Promise<KmsTokenSigner>>();
  const signerOf = (keyVersion: string): Promise<KmsTokenSigner> => {
    let pending = signers.get(keyVersion);
    if (pending === undefined) {
      pending = createKmsSigner(kms, keyVersion, options);
      signers.set(keyVersion, pending);
      pending.catch(() => signers.delete(keyVersion));
    }
    return pending;
  };
  const roles: readonly [KeyStatus, string | undefined][] = [
    ['current', versions.current],
    ['next', versions.next],
    ['previous', versions.previous],
  ];
  return {
    current: () => signerOf(versions.current),
    signer: async (status) => {
      const keyVersion = roles.find(([s]) => s === status)?.[1];
      return keyVersion === undefined ? undefined : signerOf(keyVersion);
    },
    published: async () => {
      const present = roles.filter((r): r is [KeyStatus, string] => r[1] !== undefined);
      // All or nothing: a JWKS missing the previous key would break tokens still in use.
      const jwks: PublicJwk[] = await Promise.all(present.map(async ([, v]) => (await signerOf(v)).publicJwk()));
      return present.map(([status], i) => ({ status, jwk: jwks[i] as PublicJwk }));
    },
  };
}
