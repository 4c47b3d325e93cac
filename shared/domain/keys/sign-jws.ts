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
 * A signer that can hand over to another key when its own signing fails (the
 * circuit breaker's replica key, `failover-key-ring.ts`). The kid is part of
 * the signed header, so the switch happens here, before the header is built
 * again, never inside `sign`.
 */
export interface FailoverSigner extends TokenSigner {
  /**
   * Called with the error `sign` threw: resolves to the signer to try
   * instead, or rejects with the error to report (no key left).
   */
  failover(cause: unknown): Promise<TokenSigner>;
}

/** The most signers one JWS tries (the primary, its replica, and a spare). */
const MAX_SIGNERS = 3;

function canFailOver(signer: TokenSigner): signer is FailoverSigner {
  return typeof (signer as Partial<FailoverSigner>).failover === 'function';
}

/**
 * Builds a JWS in compact serialisation (RFC 7515 §7.1) signed by `signer`:
 * `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`, with the
 * protected header `{alg, typ, kid}`.
 *
 * The signer must return the raw r||s signature (P1363); anything else is an
 * adapter bug and throws. When a {@link FailoverSigner}'s `sign` fails, the
 * JWS is built again, header and all, for the signer it fails over to, so
 * the `kid` always names the key that actually signed.
 */
export async function signJws(
  signer: TokenSigner,
  header: JwsHeaderInput,
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  const encodedPayload = base64urlEncodeText(JSON.stringify(payload));
  let active = signer;
  for (let attempt = 1; ; attempt++) {
    // RFC 7515 §4.1.1: alg names the algorithm actually used; it is never taken from the caller.
    const protectedHeader = { alg: active.alg, typ: header.typ, kid: active.kid };
    const signingInput = `${base64urlEncodeText(JSON.stringify(protectedHeader))}.${encodedPayload}`;
    let signature: Uint8Array;
    try {
      signature = await active.sign(new TextEncoder().encode(signingInput));
    } catch (e) {
      if (!canFailOver(active) || attempt >= MAX_SIGNERS) throw e;
      active = await active.failover(e);
      continue;
    }
    if (signature.length !== ES256_SIGNATURE_BYTES) {
      throw new IamError('server_error', `signer ${active.kid} returned a ${signature.length}-byte signature, not r||s`);
    }
    return `${signingInput}.${base64urlEncode(signature)}`;
  }
}
