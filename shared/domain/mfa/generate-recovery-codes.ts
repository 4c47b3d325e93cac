/**
 * `POST /v1/mfa/recovery-codes` (SPEC section 3): a new set of ten
 * single-use recovery codes for the signed-in user, returned once.
 *
 * Only a user with a confirmed primary factor (TOTP or WebAuthn) gets codes:
 * they are a way back to that factor, not a factor of their own. The codes
 * and their keyed hashes are made before the transaction; in it the new set
 * replaces the old one whole (every old code, used or not, stops working in
 * that commit), `recovery_code` joins `user.mfa_methods`, and
 * `iam.mfa.recovery_codes_generated.v1` and the audit event are written.
 */
import type { MfaMethod } from '../accounts/user.ts';
import { base64urlEncode } from '../keys/base64url.ts';
import type { Actor } from '../outbox/event.ts';
import type { MfaDeps } from './mfa-deps.ts';
import { recordMfaChange } from './mfa-events.ts';
import {
  hashRecoveryCode,
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  RECOVERY_SALT_BYTES,
  remainingCodes,
  type RecoveryCodeSet,
} from './recovery-codes.ts';

/** The request, from the handler (the user comes from the Bearer token). */
export interface GenerateRecoveryCodesInput {
  readonly tenantId: string;
  readonly userId: string;
  readonly actor: Actor;
  readonly requestId: string | null;
}

/** What a generation returns. */
export type GenerateRecoveryCodesOutcome =
  /** `codes` in display form (`XXXXX-XXXXX`): shown once, never stored. */
  | { readonly kind: 'generated'; readonly setId: string; readonly codes: readonly string[] }
  | { readonly kind: 'user_not_found' }
  /** The user has no confirmed TOTP or WebAuthn factor yet. */
  | { readonly kind: 'no_primary_factor' };

const PRIMARY: readonly MfaMethod[] = ['totp', 'webauthn'];

/** Makes ten distinct codes. */
function freshCodes(random: MfaDeps['random']): string[] {
  const codes = new Map<string, string>();
  while (codes.size < RECOVERY_CODE_COUNT) {
    const shown = newRecoveryCode(random);
    codes.set(normalizeRecoveryCode(shown) ?? shown, shown);
  }
  return [...codes.values()];
}

/** Generates (or regenerates) the user's recovery codes. Storage and Secret Manager outages throw. */
export async function generateRecoveryCodes(
  deps: Pick<MfaDeps, 'uow' | 'directory' | 'clock' | 'random' | 'crypto' | 'recoveryPepper'>,
  input: GenerateRecoveryCodesInput,
): Promise<GenerateRecoveryCodesOutcome> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'user_not_found' };
  const pepper = await deps.recoveryPepper.current();
  const salt = deps.random.bytes(RECOVERY_SALT_BYTES);
  const codes = freshCodes(deps.random);
  const hashes = await Promise.all(codes.map((c) => hashRecoveryCode(deps.crypto, pepper.key, salt, normalizeRecoveryCode(c) as string)));
  const now = new Date(deps.clock.now()).toISOString();
  const set: RecoveryCodeSet = {
    tenant_id: input.tenantId,
    user_id: input.userId,
    set_id: deps.random.uuid(),
    created_at: now,
    pepper_id: pepper.id,
    salt: base64urlEncode(salt),
    codes: hashes.map((hash) => ({ hash, used_at: null })),
  };

  const outcome = await deps.uow.run(region, async (tx) => {
    const user = await tx.users.get(input.tenantId, input.userId);
    const previous = await tx.recoveryCodes.get(input.tenantId, input.userId);
    if (user === undefined || user.status !== 'active') return 'user_not_found' as const;
    if (!user.mfa_methods.some((m) => PRIMARY.includes(m))) return 'no_primary_factor' as const;
    tx.recoveryCodes.put(set);
    if (!user.mfa_methods.includes('recovery_code')) tx.users.put({ ...user, mfa_methods: [...user.mfa_methods, 'recovery_code'], updated_at: now });
    const voided = previous === undefined ? null : { set_id: previous.set_id, unused: remainingCodes(previous) };
    recordMfaChange(tx, deps.random, {
      tenantId: input.tenantId,
      userId: input.userId,
      type: 'iam.mfa.recovery_codes_generated.v1',
      data: { set_id: set.set_id, count: set.codes.length, voided_set_id: voided?.set_id ?? null },
      action: 'mfa.recovery_codes.generated',
      actor: input.actor,
      requestId: input.requestId,
      details: { set_id: set.set_id, count: set.codes.length, voided_set_id: voided?.set_id ?? null, voided_unused: voided?.unused ?? 0 },
      at: now,
    });
    return 'generated' as const;
  });
  return outcome === 'generated' ? { kind: 'generated', setId: set.set_id, codes } : { kind: outcome };
}
