/**
 * The refusals of the login flows. Each is built in one place so every path
 * that should look alike to a client (unknown tenant, unknown user, disabled
 * user, wrong password, no password) answers with the very same body.
 */
import { IamError } from '../errors.ts';

/** The one answer for every failed credential check (RFC 6749 §5.2 `invalid_grant`). */
export function invalidGrant(): IamError {
  return new IamError('invalid_grant', 'the credentials are not valid');
}

/** Too many failures from this client for this account. */
export function accountLocked(retryAfterSeconds: number): IamError {
  return new IamError('account_locked', 'too many failed attempts; try again later or use a magic link', {
    fields: { retry_after: retryAfterSeconds },
    retryAfter: retryAfterSeconds,
  });
}

/** The tenant requires single sign-on. */
export function ssoRequired(magicLinkFallback: boolean): IamError {
  return new IamError(
    'sso_required',
    magicLinkFallback ? 'this tenant requires single sign-on; a magic link is the only fallback' : 'this tenant requires single sign-on',
  );
}

/** The client's IP address has a bad reputation: refused before any password work. */
export function ipRefused(): IamError {
  return new IamError('access_denied', 'requests from this network are refused');
}
