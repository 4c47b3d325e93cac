/**
 * What the WebAuthn use cases need: the MFA use cases' plain ports plus the
 * relying party (`WebAuthnRelyingParty`, adapter over `@simplewebauthn/server`).
 */
import type { Clock, Random, TenantDirectory, UnitOfWork, WebAuthnRelyingParty } from '../../ports.ts';

/** The ports of the WebAuthn use cases; each takes the `Pick` it uses. */
export interface WebAuthnDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  readonly relyingParty: WebAuthnRelyingParty;
}
