/**
 * A software WebAuthn authenticator for tests without a browser: a P-256
 * (ES256) credential, attestation `none`, CBOR from `@simplewebauthn/server`'s
 * helpers, signatures from `node:crypto`. It answers options JSON the way a
 * browser and a platform authenticator would (client data with the given
 * origin, authenticator data with the RP ID hash, flags and counter), and
 * can be told to omit user verification, to keep or reset its counter, or to
 * answer for another origin. The browser acceptance test
 * (`functions/mfa-verify/webauthn.browser.e2e.test.ts`) covers the real thing.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();

/** How one ceremony is answered. */
export interface SoftCeremony {
  /** The page's origin in the client data. */
  readonly origin: string;
  /** Set the UV flag (default true). */
  readonly userVerified?: boolean;
}

/** A software authenticator holding one credential. */
export interface SoftAuthenticator {
  /** base64url credential id. */
  readonly credentialId: string;
  /** The signature counter the next assertion carries (incremented before each assertion unless `fixedCounter`). */
  counter: number;
  /** Keep the counter where it is (an authenticator without counters sends 0 every time). */
  fixedCounter: boolean;
  /** A `RegistrationResponseJSON` for `PublicKeyCredentialCreationOptionsJSON`. */
  register(options: Record<string, unknown>, ceremony: SoftCeremony): Record<string, unknown>;
  /** An `AuthenticationResponseJSON` for `PublicKeyCredentialRequestOptionsJSON`. */
  assert(options: Record<string, unknown>, ceremony: SoftCeremony): Record<string, unknown>;
}

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const map = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))],
    [-3, new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'))],
  ]);
  return isoCBOR.encode(map);
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
  const head = Buffer.alloc(37);
  sha256(rpId).copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(counter, 33);
  return attested === undefined ? head : Buffer.concat([head, attested]);
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: unknown, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

/** A new authenticator with a fresh credential. */
export function softAuthenticator(): SoftAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const id = randomBytes(16);
  const cose = coseKey(publicKey);
  let userHandle = '';
  const flagsOf = (c: SoftCeremony, extra: number): number => 0x01 | (c.userVerified === false ? 0 : 0x04) | extra;
  const auth: SoftAuthenticator = {
    credentialId: b64u(id),
    counter: 0,
    fixedCounter: false,
    register(options, ceremony) {
      const rpId = (options['rp'] as { id: string }).id;
      userHandle = (options['user'] as { id: string }).id;
      const idLen = Buffer.alloc(2);
      idLen.writeUInt16BE(id.length);
      const attested = Buffer.concat([Buffer.alloc(16), idLen, id, cose]);
      const authData = authenticatorData(rpId, flagsOf(ceremony, 0x40), auth.counter, attested);
      const attestation = new Map<string, string | Uint8Array | Map<string, string>>();
      attestation.set('fmt', 'none');
      attestation.set('attStmt', new Map<string, string>());
      attestation.set('authData', new Uint8Array(authData));
      const attestationObject = isoCBOR.encode(attestation);
      return {
        id: b64u(id),
        rawId: b64u(id),
        type: 'public-key',
        response: { clientDataJSON: b64u(clientData('webauthn.create', options['challenge'], ceremony.origin)), attestationObject: b64u(attestationObject), transports: ['internal'] },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
    assert(options, ceremony) {
      if (!auth.fixedCounter) auth.counter += 1;
      const authData = authenticatorData(options['rpId'] as string, flagsOf(ceremony, 0), auth.counter);
      const cdj = clientData('webauthn.get', options['challenge'], ceremony.origin);
      const signature = sign('sha256', Buffer.concat([authData, sha256(cdj)]), privateKey);
      return {
        id: b64u(id),
        rawId: b64u(id),
        type: 'public-key',
        response: { clientDataJSON: b64u(cdj), authenticatorData: b64u(authData), signature: b64u(signature), userHandle },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      };
    },
  };
  return auth;
}
