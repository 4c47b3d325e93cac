/**
 * Revocation epochs (SPEC section 4 item 3, risks ): revoking
 * every session of a tenant, or of the whole platform, with ONE write instead
 * of one per session.
 *
 * An epoch is an instant kept per scope: the platform's in the platform
 * database (scope {@link PLATFORM_SCOPE}), a tenant's in its own region's
 * database (scope = the tenant id). Every session family created at or before
 * the epoch of its tenant or of the platform is revoked: the refresh use case
 * checks {@link isRevokedByEpoch} and refuses (and marks the family revoked)
 * on the family's next refresh. Access tokens already issued live out their
 * 15 minutes, as with any revocation.
 *
 * Epochs only move forward ({@link raiseEpoch}): a later, smaller epoch never
 * un-revokes what an earlier one revoked.
 */
import type { Actor } from '../outbox/event.ts';

/**
 * The scope (and `tenant_id`) of platform-wide records: the platform's
 * revocation epoch, key-rotation audit events. Tenant ids are lower-case
 * letters, digits and inner hyphens, so this can never name a tenant.
 */
export const PLATFORM_SCOPE = '_platform';

/** One scope's revocation epoch, as stored (one document per scope). */
export interface RevocationEpoch {
  /** The tenant id, or {@link PLATFORM_SCOPE}. */
  readonly tenant_id: string;
  /** ISO instant: every session family created at or before it is revoked. */
  readonly epoch: string;
  /** When the epoch was last raised. */
  readonly set_at: string;
  /** Who raised it last. */
  readonly actor: Actor;
  /** Why (`key_compromise`, `admin`, `incident`, ...). */
  readonly reason: string;
  /** 1 for the first epoch of the scope, +1 on every raise. */
  readonly version: number;
}

/** The epochs that apply to one session family: its tenant's and the platform's. */
export interface ApplicableEpochs {
  readonly platform: Pick<RevocationEpoch, 'epoch'> | undefined;
  readonly tenant: Pick<RevocationEpoch, 'epoch' | 'tenant_id'> | undefined;
}

/** Why {@link isRevokedByEpoch} revoked a family, or undefined when it did not. */
export type EpochRevocation = 'platform_epoch' | 'tenant_epoch' | undefined;

/**
 * Whether a session family falls under a revocation epoch: it was created at
 * or before the platform's epoch, or its own tenant's. A tenant epoch of
 * another tenant never applies (a caller mixing them up is a bug: it throws).
 * Instants are ISO 8601 UTC strings of one format, so they compare as strings.
 */
export function isRevokedByEpoch(
  session: { readonly tenant_id: string; readonly created_at: string },
  epochs: ApplicableEpochs,
): EpochRevocation {
  if (epochs.tenant !== undefined && epochs.tenant.tenant_id !== session.tenant_id) {
    throw new Error(`the epoch of tenant ${epochs.tenant.tenant_id} was applied to a session of ${session.tenant_id}`);
  }
  if (epochs.platform !== undefined && session.created_at <= epochs.platform.epoch) return 'platform_epoch';
  if (epochs.tenant !== undefined && session.created_at <= epochs.tenant.epoch) return 'tenant_epoch';
  return undefined;
}

/** Input of {@link raiseEpoch}. */
export interface RaiseEpochInput {
  /** The tenant id, or {@link PLATFORM_SCOPE}. */
  readonly scope: string;
  /** Now, as an ISO instant: sessions created up to now are revoked. */
  readonly at: string;
  readonly actor: Actor;
  readonly reason: string;
}

/**
 * The epoch after a raise: `at`, or the stored epoch if that is later (an
 * epoch never moves back, so a clock behind another never un-revokes).
 */
export function raiseEpoch(stored: RevocationEpoch | undefined, input: RaiseEpochInput): RevocationEpoch {
  if (stored !== undefined && stored.tenant_id !== input.scope) {
    throw new Error(`the stored epoch of ${stored.tenant_id} was raised as ${input.scope}`);
  }
  const epoch = stored !== undefined && stored.epoch > input.at ? stored.epoch : input.at;
  return {
    tenant_id: input.scope,
    epoch,
    set_at: input.at,
    actor: { type: input.actor.type, id: input.actor.id },
    reason: input.reason,
    version: (stored?.version ?? 0) + 1,
  };
}
