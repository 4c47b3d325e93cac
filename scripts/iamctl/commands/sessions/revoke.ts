/**
 * `iamctl sessions revoke --user U --tenant T | --tenant T | --all
 * [--actor NAME] [--reason WORD]` (SPEC section 4 item 3, docs/sessions.md).
 *
 * - `--user U --tenant T`: marks every session family of the user revoked,
 *   in batches, each with `iam.session.revoked.v1` and an audit event naming
 *   the operator (`revokeUserSessions`). The regional outbox relay publishes
 *   the events.
 * - `--tenant T`: raises the tenant's revocation epoch (`revokeTenantSessions`):
 *   ONE write in the tenant's region, whatever the number of sessions.
 * - `--all`: raises the platform revocation epoch (what `revokeAllSessions`
 *   does, with the event id kept): one write in the platform database;
 *   iamctl publishes its event at once.
 *
 * Every refresh of a revoked family fails at once (instances cache the
 * platform epoch at most 5 s); access tokens already issued are refused by
 * routes that check the session and otherwise live out their 15 minutes.
 */
import { userInfo } from 'node:os';
import * as v from 'valibot';
import { cryptoRandom, systemClock } from '../../../../shared/adapters/local/clock.ts';
import { platformUnitOfWork } from '../../../../shared/adapters/store/platform-unit-of-work.ts';
import { toOutgoingMessage } from '../../../../shared/domain/events/outgoing-message.ts';
import type { Actor } from '../../../../shared/domain/outbox/event.ts';
import type { PlatformUnitOfWork } from '../../../../shared/domain/ports.ts';
import { platformRevocationFacts, writePlatformRevocation } from '../../../../shared/domain/sessions/revocation-epoch-platform.ts';
import { PLATFORM_SCOPE } from '../../../../shared/domain/sessions/revocation-epoch.ts';
import { revokeTenantSessions } from '../../../../shared/domain/sessions/revocation-epoch-tenant.ts';
import { revokeUserSessions } from '../../../../shared/domain/sessions/revoke-user-sessions.ts';
import { TenantIdSchema } from '../../../../shared/domain/tenants/tenant.ts';
import { CliError, defineCommand, usageError, type CommandContext } from '../../command.ts';

const ActorName = v.pipe(v.string(), v.regex(/^[\w.@+-]{1,64}$/, 'letters, digits and . @ + - _ (at most 64)'));
const UserId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'a user id'));
const Reason = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]{0,39}$/, 'a snake_case word'));

export default defineCommand({
  summary: "revoke sessions: one user's (each family), a tenant's or every tenant's (one epoch write)",
  usage: '--user U --tenant T | --tenant T | --all [--actor NAME] [--reason WORD]',
  flags: { user: { type: 'string' }, tenant: { type: 'string' }, all: { type: 'boolean' }, actor: { type: 'string' }, reason: { type: 'string' } },
  schema: v.strictObject({
    user: v.optional(UserId),
    tenant: v.optional(TenantIdSchema),
    all: v.optional(v.boolean(), false),
    actor: v.optional(ActorName),
    reason: v.optional(Reason, 'admin'),
  }),
  async run(ctx, flags) {
    if (flags.all && (flags.user !== undefined || flags.tenant !== undefined)) throw usageError('--all goes alone: not with --user or --tenant');
    if (flags.user !== undefined && flags.tenant === undefined) throw usageError('--user needs --tenant (user ids live in one tenant)');
    if (!flags.all && flags.tenant === undefined) throw usageError('say whose sessions: --user U --tenant T, --tenant T or --all');
    const actor: Actor = { type: 'platform', id: flags.actor ?? operatorName() };
    const stores = await ctx.stores();
    const deps = { uow: stores.uow, directory: stores.directory, clock: systemClock, random: cryptoRandom };

    if (flags.user !== undefined && flags.tenant !== undefined) {
      ctx.progress(`revoking every session of user ${flags.user} in tenant ${flags.tenant} as ${actor.id}`);
      const result = await revokeUserSessions(deps, { tenantId: flags.tenant, userId: flags.user, actor });
      if (!result.ok) throw new CliError(result.error.code, result.error.message);
      const { revoked, alreadyRevoked, batches } = result.value;
      return {
        human: [
          `${revoked} session(s) of ${flags.user} in ${flags.tenant} revoked by ${actor.id} (${alreadyRevoked} already revoked; ${batches} transaction(s))`,
          'their refresh tokens fail from now on; iam.session.revoked.v1 waits in the outbox for the relay',
        ],
        json: { scope: 'user', tenant_id: flags.tenant, user_id: flags.user, actor: actor.id, revoked, already_revoked: alreadyRevoked, batches },
      };
    }

    if (flags.tenant !== undefined) {
      const result = await revokeTenantSessions(deps, { tenantId: flags.tenant, actor, reason: flags.reason });
      if (!result.ok) throw new CliError(result.error.code, result.error.message);
      const epoch = result.value;
      return {
        human: [
          `every session of tenant ${flags.tenant} created up to ${epoch.epoch} is revoked (epoch version ${epoch.version}, by ${actor.id}): one write`,
          'refreshes fail from now on; iam.session.mass_revoked.v1 waits in the outbox for the relay',
        ],
        json: { scope: 'tenant', tenant_id: flags.tenant, actor: actor.id, reason: epoch.reason, revoked_before: epoch.epoch, version: epoch.version },
      };
    }

    const platformUow = platformUnitOfWork(stores.databases.platform);
    const facts = platformRevocationFacts({ clock: systemClock, random: cryptoRandom }, { actor, reason: flags.reason });
    const epoch = await platformUow.run(async (tx) => writePlatformRevocation(tx, await tx.revocationEpochs.get(PLATFORM_SCOPE), facts));
    const published = await publishPlatformEvent(ctx, platformUow, facts.eventId);
    return {
      human: [
        `every session of every tenant created up to ${epoch.epoch} is revoked (platform epoch version ${epoch.version}, by ${actor.id}): one write`,
        'refresh instances see it within 5 s (their platform epoch cache)',
        `iam.session.mass_revoked.v1 ${published ? 'published' : 'NOT published yet (it waits in the platform outbox)'}`,
      ],
      json: { scope: 'platform', actor: actor.id, reason: epoch.reason, revoked_before: epoch.epoch, version: epoch.version, event_published: published },
    };
  },
});

/** The operator's OS login name. */
function operatorName(): string {
  try {
    const name = userInfo().username;
    if (v.is(ActorName, name)) return name;
  } catch {
    // no passwd entry (a container): fall through
  }
  throw usageError('cannot tell who you are from the OS: pass --actor NAME');
}

/**
 * Publishes the mass revocation's platform outbox row and marks it
 * published. A failure is reported, not thrown: the revocation is done; the
 * row stays in the platform outbox.
 */
async function publishPlatformEvent(ctx: CommandContext, platformUow: PlatformUnitOfWork, eventId: string): Promise<boolean> {
  try {
    const { config } = await ctx.target();
    const publisher = await ctx.publisher();
    const row = await platformUow.run((tx) => tx.outbox.get(eventId));
    if (row === undefined) throw new Error(`outbox row ${eventId} vanished`);
    await publisher.publish(toOutgoingMessage(row, config.eventsTopic));
    await platformUow.run(async (tx) => tx.outbox.markPublished(eventId, new Date(systemClock.now()).toISOString()));
    return true;
  } catch (e) {
    ctx.progress(`warning: could not publish the event: ${(e as Error).message.split('\n')[0] ?? ''}`);
    return false;
  }
}
