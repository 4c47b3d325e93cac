/**
 * The {@link WebAuthnRelyingParty} port over `@simplewebauthn/server`
 * (SPEC section 1: the WebAuthn library). Attestation `none` (we trust the
 * key, not the make of the authenticator), ES256/EdDSA/RS256 keys. Every
 * verification failure of the library (it throws) becomes `{ok: false,
 * reason}`. The signature counter is left to the domain: the library is
 * given a stored counter of 0, so it never refuses on the counter itself and
 * returns the new value.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { WebAuthnRelyingParty } from '../../domain/ports.ts';

/** How long the browser may take, ms (the challenge itself lives 5 minutes). */
const CEREMONY_TIMEOUT_MS = 120_000;

function bytes(b64url: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(b64url, 'base64url'));
}

function refs(list: readonly { readonly id: string; readonly transports: readonly string[] }[]) {
  return list.map((c) => ({ id: c.id, transports: [...c.transports] as AuthenticatorTransport[] }));
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message.slice(0, 200) : 'verification failed';
}

/** The relying party over `@simplewebauthn/server`. Stateless: one per process is enough. */
export function simpleWebauthnRelyingParty(): WebAuthnRelyingParty {
  return {
    async registrationOptions(input) {
      const options = await generateRegistrationOptions({
        rpName: input.rpName,
        rpID: input.rpId,
        userName: input.userName,
        userID: bytes(input.userHandle),
        challenge: bytes(input.challenge),
        timeout: CEREMONY_TIMEOUT_MS,
        attestationType: 'none',
        excludeCredentials: refs(input.excludeCredentials),
        authenticatorSelection: { residentKey: 'preferred', userVerification: input.userVerification },
      });
      return options as unknown as Record<string, unknown>;
    },
    async verifyRegistration(response, expected) {
      try {
        const r = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: expected.challenge,
          expectedOrigin: [...expected.origins],
          expectedRPID: expected.rpId,
          requireUserVerification: expected.requireUserVerification,
        });
        if (!r.verified) return { ok: false, reason: 'attestation signature not valid' };
        const c = r.registrationInfo.credential;
        return {
          ok: true,
          value: {
            credentialId: c.id,
            publicKey: Buffer.from(c.publicKey).toString('base64url'),
            signCount: c.counter,
            transports: c.transports ?? [],
            userVerified: r.registrationInfo.userVerified,
          },
        };
      } catch (e) {
        return { ok: false, reason: reasonOf(e) };
      }
    },
    async authenticationOptions(input) {
      const options = await generateAuthenticationOptions({
        rpID: input.rpId,
        challenge: bytes(input.challenge),
        timeout: CEREMONY_TIMEOUT_MS,
        allowCredentials: refs(input.allowCredentials),
        userVerification: input.userVerification,
      });
      return options as unknown as Record<string, unknown>;
    },
    async verifyAuthentication(response, credential, expected) {
      try {
        const r = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: expected.challenge,
          expectedOrigin: [...expected.origins],
          expectedRPID: expected.rpId,
          requireUserVerification: expected.requireUserVerification,
          credential: {
            id: credential.id,
            publicKey: bytes(credential.publicKey),
            counter: 0,
            transports: [...credential.transports] as AuthenticatorTransport[],
          },
        });
        if (!r.verified) return { ok: false, reason: 'signature not valid' };
        return { ok: true, value: { signCount: r.authenticationInfo.newCounter, userVerified: r.authenticationInfo.userVerified } };
      } catch (e) {
        return { ok: false, reason: reasonOf(e) };
      }
    },
  };
}
