import { IamError } from '../errors.ts';
import type { TokenSigner } from '../ports.ts';
import { base64urlEncode, base64urlEncodeText } from './base64url.ts';

/** The protected header a caller chooses: only the media type. `alg` and `kid` come from the signer. */
export interface JwsHeaderInput {
  /** `at+jwt` for access tokens (RFC 9068 §2.1); other token kinds name their own type. */
  readonly typ: string;
}

/** The media type of access tokens (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Length of an ES256 signature: r||s, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_BYTES = 64;

/**
 * Builds a JWS in compact serialisation (RFC 7515 §7.1) signed by `signer`:
 * `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`, with the
 * protected header `{alg, typ, kid}`.
 *
 * The signer must return the raw r||s signature (P1363); anything else is an
 * adapter bug and throws.
 */
export async function signJws(
  signer: TokenSigner,
  header: JwsHeaderInput,
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  // RFC 7515 §4.1.1: alg names the algorithm actually used; it is never taken from the caller.
  const protectedHeader = { alg: signer.alg, typ: header.typ, kid: signer.kid };
  const signingInput = `${base64urlEncodeText(JSON.stringify(protectedHeader))}.${base64urlEncodeText(JSON.stringify(payload))}`;
  const signature = await signer.sign(new TextEncoder().encode(signingInput));
  if (signature.length !== ES256_SIGNATURE_BYTES) {
    throw new IamError('server_error', `signer ${signer.kid} returned a ${signature.length}-byte signature, not r||s`);
  }
  return `${signingInput}.${base64urlEncode(signature)}`;
}
