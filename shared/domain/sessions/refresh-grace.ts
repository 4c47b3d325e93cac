/**
 * The grace window of refresh-token rotation (SPEC section 4 item 3, issue 4
 * item 2): a retry of the IMMEDIATE predecessor within
 * `policy.session.refresh_grace_seconds` gets the SAME successor back. The
 * successor's value is therefore kept for the window, sealed with the
 * envelope cipher (AES-256-GCM), bound by its AAD to the parent token's hash
 * and the family id: a ciphertext copied onto another record does not open.
 */
import type { SecretCipher } from '../ports.ts';
import type { SealedSecret } from '../mfa/factor.ts';
import { hashOpaqueToken } from '../tokens/opaque-token.ts';

const LABEL = 'iam.refresh.grace.v1';

/** The AAD of a sealed successor: a label, the parent token's hash and the family id. */
export function graceAad(parentHash: string, sessionId: string): Uint8Array {
  return new TextEncoder().encode(`${LABEL}\u0000${parentHash}\u0000${sessionId}`);
}

/** Seals the successor's value for the window. */
export async function sealSuccessor(cipher: SecretCipher, successor: string, parentHash: string, sessionId: string): Promise<SealedSecret> {
  return cipher.seal(new TextEncoder().encode(successor), graceAad(parentHash, sessionId));
}

/**
 * Opens a sealed successor and checks it is the token whose hash the parent
 * names. Throws when it does not authenticate or does not match: stored data
 * that fails is an incident, not a client's mistake.
 */
export async function openSuccessor(
  cipher: SecretCipher,
  sealed: SealedSecret,
  parentHash: string,
  sessionId: string,
  successorHash: string,
): Promise<string> {
  const token = new TextDecoder().decode(await cipher.open(sealed, graceAad(parentHash, sessionId)));
  if ((await hashOpaqueToken(token)) !== successorHash) throw new Error('the sealed successor does not match the recorded successor hash');
  return token;
}
