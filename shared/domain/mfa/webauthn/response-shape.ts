/**
 * The outer shape of the browser's `RegistrationResponseJSON` and
 * `AuthenticationResponseJSON` (WebAuthn §5.1, `toJSON()`), checked before
 * anything is read. Loose objects: browsers add members (for example
 * `clientExtensionResults`, `authenticatorAttachment`), and the relying
 * party verifies the content (CBOR, signatures, client data) itself.
 */
import * as v from 'valibot';

const B64url = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/), v.maxLength(16_384));

/** A `RegistrationResponseJSON`. */
export const RegistrationResponseShape = v.looseObject({
  id: v.pipe(B64url, v.maxLength(1366)),
  rawId: B64url,
  type: v.literal('public-key'),
  response: v.looseObject({ clientDataJSON: B64url, attestationObject: B64url, transports: v.optional(v.array(v.pipe(v.string(), v.maxLength(32)))) }),
});

/** An `AuthenticationResponseJSON`. */
export const AuthenticationResponseShape = v.looseObject({
  id: v.pipe(B64url, v.maxLength(1366)),
  rawId: B64url,
  type: v.literal('public-key'),
  response: v.looseObject({ clientDataJSON: B64url, authenticatorData: B64url, signature: B64url, userHandle: v.optional(v.nullable(v.string())) }),
});

/** The credential id of a response of `shape`, or the reason it is not one. */
export function readResponse(
  shape: typeof RegistrationResponseShape | typeof AuthenticationResponseShape,
  response: unknown,
): { readonly ok: true; readonly credentialId: string } | { readonly ok: false; readonly reason: string } {
  const r = v.safeParse(shape, response);
  if (!r.success) return { ok: false, reason: `response: ${r.issues[0].message}` };
  return { ok: true, credentialId: r.output.id };
}
