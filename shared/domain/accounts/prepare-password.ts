/**
 * A new password, from the request to the stored credential: the rules of
 * SP 800-63B (`checkPassword`), the breach check, then the hash. Shared by
 * user creation and `POST /v1/me/password`.
 */
import { IamError } from '../errors.ts';
import type { BreachList, PasswordHasher } from '../ports.ts';
import { fail, ok, type Result } from '../result.ts';
import { checkPassword, DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from './password-rules.ts';
import type { PasswordCredential } from './user.ts';

/** What {@link preparePassword} needs. */
export interface PreparePasswordDeps {
  readonly hasher: PasswordHasher;
  readonly breachList: BreachList;
}

/** A password ready to store, and what the breach check said. */
export interface PreparedPassword {
  readonly credential: PasswordCredential;
  /** `unknown` when the provider could not answer and the check failed open. */
  readonly breachCheck: 'clean' | 'unknown';
}

/**
 * Checks and hashes `password`. Refusals (values, never throws):
 * - `weak_password` with `reason: 'too_short'` and `min_length`, or
 *   `reason: 'too_long'` and `max_bytes` (over 1024 UTF-8 bytes);
 * - `invalid_request` for ill-formed text (a lone surrogate);
 * - `breached_password` when the breach list knows it.
 * A breach list that cannot answer fails open (SPEC section 4 item 1): the
 * password is accepted and `breachCheck` is `unknown`; the adapter has logged
 * and counted it, and the caller records it in the audit details.
 */
export async function preparePassword(
  deps: PreparePasswordDeps,
  password: string,
  changedAt: string,
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): Promise<Result<PreparedPassword, IamError>> {
  const checked = checkPassword(password, policy);
  switch (checked.kind) {
    case 'too_short':
      return fail(
        new IamError('weak_password', `the password must have at least ${checked.min_length} characters`, {
          fields: { reason: 'too_short', min_length: checked.min_length },
        }),
      );
    case 'too_long':
      return fail(
        new IamError('weak_password', `the password must not exceed ${checked.max_bytes} bytes`, {
          fields: { reason: 'too_long', max_bytes: checked.max_bytes },
        }),
      );
    case 'malformed':
      return fail(new IamError('invalid_request', 'the password is not well-formed text'));
    case 'ok':
      break;
  }
  // SP 800-63B §3.1.1.2: compare new passwords against values known to be compromised.
  const breach = await deps.breachList.check(checked.password);
  if (breach === 'breached') {
    return fail(new IamError('breached_password', 'this password appears in a data breach; choose another'));
  }
  const phc = await deps.hasher.hash(checked.password);
  return ok({ credential: { phc, hash_version: deps.hasher.version, changed_at: changedAt }, breachCheck: breach });
}
