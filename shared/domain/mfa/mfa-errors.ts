/**
 * The client answers of the MFA outcomes, built in one place so handlers
 * map every refusal alike. A wrong, replayed or used code, and a method the
 * user does not have, all answer the same `invalid_grant`: the answer never
 * tells an attacker which of them it was (logs and audit keep the outcome).
 */
import { IamError } from '../errors.ts';
import type { ConfirmTotpOutcome } from './confirm-totp.ts';
import type { EnrollTotpOutcome } from './enroll-totp.ts';
import type { GenerateRecoveryCodesOutcome } from './generate-recovery-codes.ts';
import type { UseRecoveryCodeOutcome } from './use-recovery-code.ts';
import type { VerifyTotpOutcome } from './verify-totp.ts';

/** Every refusal an MFA use case can return. */
export type MfaRefusal = Exclude<
  VerifyTotpOutcome | UseRecoveryCodeOutcome | ConfirmTotpOutcome | EnrollTotpOutcome | GenerateRecoveryCodesOutcome,
  { kind: 'verified' | 'confirmed' | 'enrolled' | 'generated' }
>;

/** The error a handler answers for `refusal`. `method` words the `malformed` description. */
export function mfaRefusalError(refusal: MfaRefusal, method: 'totp' | 'recovery_code' = 'totp'): IamError {
  switch (refusal.kind) {
    case 'malformed':
      return new IamError(
        'invalid_request',
        method === 'totp' ? 'code must be exactly 6 digits' : 'recovery_code must be 10 letters and digits, as shown (XXXXX-XXXXX)',
      );
    case 'invalid_code':
    case 'replayed':
    case 'used_code':
    case 'no_factor':
      return new IamError('invalid_grant', 'the code is not valid');
    case 'token_exhausted':
      return new IamError('invalid_grant', 'too many failed attempts with this mfa_token; log in again');
    case 'user_locked':
      return new IamError('rate_limited', 'too many failed second-factor attempts; try again later', {
        fields: { retry_after: refusal.retryAfterSeconds },
        retryAfter: refusal.retryAfterSeconds,
      });
    case 'no_pending_factor':
      return new IamError('invalid_request', 'there is no pending TOTP enrolment to confirm');
    case 'enrollment_expired':
      return new IamError('invalid_request', 'the TOTP enrolment has expired; enrol again');
    case 'no_primary_factor':
      return new IamError('invalid_request', 'confirm a TOTP or WebAuthn factor before generating recovery codes');
    case 'user_not_found':
      return new IamError('invalid_token', 'the user of this token no longer exists or is disabled');
  }
}
