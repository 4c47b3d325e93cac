/**
 * `POST /v1/magic-link` (issue 3; risk R-09 account recovery).
 *
 * Always the same answer (the handler sends 202), whether the tenant or the
 * user exists, and the same work where it can be: the token and its hash are
 * made and the tenant and user are read in every case. For an active user of
 * a tenant that allows magic links (`magicLinkAllowed`), the link is stored
 * (only its hash, 15 minutes, single use) and mailed through the `Mailer`
 * port, unless the user's quota is spent (`magic-link-throttle.ts`, counted
 * in the transaction that stores the link); then nothing is stored or mailed. The outcome is returned for the handler's log,
 * never for the client.
 */
import { normalizeEmail } from '../accounts/normalize-email.ts';
import type { Clock, Mailer, Random, TenantDirectory, UnitOfWork } from '../ports.ts';
import { issueOpaqueToken } from '../tokens/opaque-token.ts';
import { admitMagicLink } from './magic-link-throttle.ts';
import { MAGIC_LINK_TTL_SECONDS, type MagicLinkRecord } from './one-time-tokens.ts';
import { magicLinkAllowed } from './sso-policy.ts';

/** What {@link requestMagicLink} needs. */
export interface RequestMagicLinkDeps {
  readonly uow: UnitOfWork;
  readonly directory: TenantDirectory;
  readonly clock: Clock;
  readonly random: Random;
  readonly mailer: Mailer;
  /** The link's base URL; the token goes in the fragment, which browsers never send to a server. */
  readonly magicLinkUrl: string;
}

/** The request, validated by the handler. */
export interface RequestMagicLinkInput {
  readonly tenantId: string;
  readonly email: string;
  readonly clientId: string;
}

/** What happened, for logs only: the client always sees 202. */
export type MagicLinkOutcome = 'sent' | 'bad_email' | 'unknown_tenant' | 'unknown_user' | 'sso_required' | 'throttled' | 'mail_failed';

/** Sends a magic link when it may. Never refuses; throws only on a storage outage. */
export async function requestMagicLink(
  deps: RequestMagicLinkDeps,
  input: RequestMagicLinkInput,
): Promise<{ readonly outcome: MagicLinkOutcome; readonly error?: unknown }> {
  const issued = await issueOpaqueToken(deps.random, 'ml', input.tenantId);
  const email = normalizeEmail(input.email);
  if (email.kind !== 'ok') return { outcome: 'bad_email' };
  const region = await deps.directory.regionOf(input.tenantId);
  if (region === undefined) return { outcome: 'unknown_tenant' };
  const nowMs = deps.clock.now();
  const stored = await deps.uow.run(region, async (tx) => {
    const tenant = await tx.tenants.get(input.tenantId);
    const user = await tx.users.findByEmail(input.tenantId, email.email);
    if (tenant === undefined) return 'unknown_tenant' as const;
    if (!magicLinkAllowed(tenant.policy)) return 'sso_required' as const;
    if (user === undefined || user.status !== 'active') return 'unknown_user' as const;
    // Counted here, in the transaction that stores the link, so parallel requests cannot exceed the quota.
    const admission = admitMagicLink(tenant.tenant_id, user.user_id, await tx.magicLinkThrottles.get(tenant.tenant_id, user.user_id), nowMs);
    if (admission.kind === 'throttled') return 'throttled' as const;
    const record: MagicLinkRecord = {
      token_hash: issued.hash,
      tenant_id: tenant.tenant_id,
      user_id: user.user_id,
      email: user.email,
      client_id: input.clientId,
      created_at: new Date(nowMs).toISOString(),
      expires_at: new Date(nowMs + MAGIC_LINK_TTL_SECONDS * 1000).toISOString(),
    };
    tx.magicLinks.create(record);
    tx.magicLinkThrottles.put(admission.throttle);
    return record;
  });
  if (typeof stored === 'string') return { outcome: stored };
  try {
    await deps.mailer.send(magicLinkMail(stored.email, deps.magicLinkUrl, issued.token));
  } catch (error) {
    // Still 202: a failure only for existing users would tell them apart.
    return { outcome: 'mail_failed', error };
  }
  return { outcome: 'sent' };
}

/** The mail of a magic link. */
export function magicLinkMail(to: string, baseUrl: string, token: string): { to: string; subject: string; text: string } {
  const link = `${baseUrl}#token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Your sign-in link',
    text: [
      'Use this link to sign in. It works once, within 15 minutes:',
      '',
      link,
      '',
      'If you did not ask for it, ignore this mail: nothing happens without the link.',
    ].join('\n'),
  };
}
