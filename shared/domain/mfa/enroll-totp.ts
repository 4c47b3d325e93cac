/**
 * `POST /v1/mfa/totp/enroll` (SPEC section 3): starts a TOTP enrolment for
 * the signed-in user. A fresh 160-bit secret is sealed (envelope encryption,
 * bound to tenant, user and factor) and stored as a `pending` factor; the
 * secret is returned once, in base32 and as an `otpauth://` URI, and never
 * again. A pending factor counts for nothing until `confirmTotp` proves it,
 * and lapses after {@link PENDING_TOTP_TTL_SECONDS}.
 *
 * One enrolment at a time: starting one removes the user's other pending
 * TOTP factors. A confirmed factor stays until the new one is confirmed
 * (re-enrolment replaces it then).
 */
import type { Actor } from '../outbox/event.ts';
import type { MfaDeps } from './mfa-deps.ts';
import { recordMfaChange } from './mfa-events.ts';
import { factorSecretAad, type TotpFactor } from './factor.ts';
import { otpauthUri, TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_SECRET_BYTES } from './totp.ts';

/** How long a pending TOTP factor can be confirmed. */
export const PENDING_TOTP_TTL_SECONDS = 15 * 60;

/** The request, from the handler (the user comes from the Bearer token). */
export interface EnrollTotpInput {
  readonly tenantId: string;
  readonly userId: string;
  /** The issuer shown by authenticator apps (no colon), e.g. `Melmastoon`. */
  readonly issuer: string;
  readonly actor: Actor;
  readonly requestId: string | null;
}

/** What an enrolment returns. */
export type EnrollTotpOutcome =
  | {
      readonly kind: 'enrolled';
      readonly factorId: string;
      /** The secret, RFC 4648 base32 without padding: shown once. */
      readonly secret: string;
      readonly otpauthUri: string;
      /** Confirm before this instant (ISO 8601). */
      readonly expiresAt: string;
    }
  /** No active user with this id in this tenant. */
  | { readonly kind: 'user_not_found' };

/** Starts a TOTP enrolment. Storage and Secret Manager outages throw. */
export async function enrollTotp(
  deps: Pick<MfaDeps, 'uow' | 'directory' | 'clock' | 'random' | 'crypto' | 'cipher'>,
  input: EnrollTotpInput,
): Promise<EnrollTotpOutcome> {
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { kind: 'user_not_found' };
  const secret = deps.random.bytes(TOTP_SECRET_BYTES.SHA1);
  if (secret.length !== TOTP_SECRET_BYTES.SHA1) throw new Error(`Random returned ${secret.length} bytes, not ${TOTP_SECRET_BYTES.SHA1}`);
  const factorId = deps.random.uuid();
  const ids = { tenant_id: input.tenantId, user_id: input.userId, factor_id: factorId };
  const sealed = await deps.cipher.seal(secret, factorSecretAad(ids));
  const nowMs = deps.clock.now();
  const now = new Date(nowMs).toISOString();
  const factor: TotpFactor = {
    ...ids,
    type: 'totp',
    status: 'pending',
    created_at: now,
    confirmed_at: null,
    last_used_at: null,
    secret: sealed,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    last_used_step: null,
  };

  const email = await deps.uow.run(region, async (tx) => {
    const user = await tx.users.get(input.tenantId, input.userId);
    const factors = await tx.mfaFactors.listForUser(input.tenantId, input.userId);
    if (user === undefined || user.status !== 'active') return undefined;
    for (const f of factors) if (f.type === 'totp' && f.status === 'pending') tx.mfaFactors.delete(input.tenantId, f.factor_id);
    tx.mfaFactors.create(factor);
    recordMfaChange(tx, deps.random, {
      tenantId: input.tenantId,
      userId: input.userId,
      type: null,
      action: 'mfa.totp.enrollment_started',
      actor: input.actor,
      requestId: input.requestId,
      details: { factor_id: factorId },
      at: now,
    });
    return user.email;
  });
  if (email === undefined) return { kind: 'user_not_found' };

  const base32 = deps.crypto.base32Encode(secret);
  secret.fill(0);
  return {
    kind: 'enrolled',
    factorId,
    secret: base32,
    otpauthUri: otpauthUri({ issuer: input.issuer, account: email, secretBase32: base32, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS }),
    expiresAt: new Date(nowMs + PENDING_TOTP_TTL_SECONDS * 1000).toISOString(),
  };
}
