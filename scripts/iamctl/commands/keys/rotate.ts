/**
 * `iamctl keys rotate [--emergency] [--revoke-sessions] [--actor NAME]`
 * (risk R-06, docs/keys.md "Runbook").
 *
 * - Local signer (`IAM_SIGNER=local`): rotates the ring in the platform
 *   database. Scheduled: next -> current, current -> previous, a new next;
 *   refused (`next_key_too_young`) until the next key has been in the JWKS
 *   longer than any verifier may cache it. Emergency: the current kid is
 *   retired at once (it leaves the JWKS).
 * - KMS signer: a rotation is a change of which key versions the functions
 *   are deployed with (Terraform `jwt_key_versions`), so this prints the
 *   gcloud and Terraform steps for the configured versions and refuses
 *   (exit 1, nothing rotated).
 * - `--revoke-sessions` (only with `--emergency`) raises the platform
 *   revocation epoch: every session family created up to now is refused on
 *   its next refresh. One write, whatever the number of sessions.
 *
 * Every rotation is audited in the platform database with its actor
 * (`{type: platform, id: --actor or the OS user}`) and emits
 * `iam.keys.rotated.v1`, which iamctl publishes right away.
 */
import { userInfo } from 'node:os';
import * as v from 'valibot';
import { cryptoRandom, systemClock } from '../../../../shared/adapters/local/clock.ts';
import { createLocalKeyRing } from '../../../../shared/adapters/local/local-key-ring.ts';
import { firestoreKeyStore, platformFirestore } from '../../../../shared/adapters/local/local-key-ring-firestore.ts';
import { platformUnitOfWork } from '../../../../shared/adapters/store/platform-unit-of-work.ts';
import type { Config } from '../../../../shared/config.ts';
import { toOutgoingMessage } from '../../../../shared/domain/events/outgoing-message.ts';
import { JWKS_MAX_STALENESS_SECONDS } from '../../../../shared/domain/keys/build-jwks.ts';
import { recordKeyRotation } from '../../../../shared/domain/keys/record-key-rotation.ts';
import type { Actor } from '../../../../shared/domain/outbox/event.ts';
import type { EventPublisher, PlatformUnitOfWork } from '../../../../shared/domain/ports.ts';
import { platformRevocationFacts, writePlatformRevocation } from '../../../../shared/domain/sessions/revocation-epoch-platform.ts';
import { PLATFORM_SCOPE } from '../../../../shared/domain/sessions/revocation-epoch.ts';
import { defineCommand, usageError, type CommandContext, type CommandResult } from '../../command.ts';

const ActorName = v.pipe(v.string(), v.regex(/^[\w.@+-]{1,64}$/, 'letters, digits and . @ + - _ (at most 64)'));

export default defineCommand({
  summary: 'rotate the token signing key (pre-published next key); --emergency retires the current kid at once',
  usage: '[--emergency [--revoke-sessions]] [--actor NAME]',
  flags: { emergency: { type: 'boolean' }, 'revoke-sessions': { type: 'boolean' }, actor: { type: 'string' } },
  schema: v.strictObject({
    emergency: v.optional(v.boolean(), false),
    'revoke-sessions': v.optional(v.boolean(), false),
    actor: v.optional(ActorName),
  }),
  async run(ctx, flags) {
    const revokeSessions = flags['revoke-sessions'];
    if (revokeSessions && !flags.emergency) throw usageError('--revoke-sessions goes with --emergency');
    const mode = flags.emergency ? 'emergency' : 'scheduled';
    const actor: Actor = { type: 'platform', id: flags.actor ?? operatorName() };
    const { config } = await ctx.target();
    if (config.signer.kind === 'kms' && !revokeSessions) return kmsPlan(ctx, config, { mode, actor, revocation: undefined });
    const stores = await ctx.stores();
    const platformUow = platformUnitOfWork(stores.databases.platform);
    const publisher = await ctx.publisher(); // reachable before anything changes
    if (config.signer.kind === 'kms') return kmsPlan(ctx, config, { mode, actor, revocation: { platformUow, publisher } });

    const ring = createLocalKeyRing(
      firestoreKeyStore(platformFirestore({ projectId: config.projectId, databaseId: config.platformDatabase, emulatorHost: config.emulators.firestore })),
      { clock: systemClock },
    );
    ctx.progress(`${mode} rotation of the local signing keys as ${actor.id}`);
    const rotated = await ring.rotate(mode);
    if (!rotated.ok) {
      const line = `the next key is too young to sign: it must be in the JWKS ${JWKS_MAX_STALENESS_SECONDS} s (+ the ring cache) first; retry in ${rotated.error.retryAfterSeconds} s, or use --emergency`;
      return { human: [], json: { error: 'next_key_too_young', error_description: line, retry_after_seconds: rotated.error.retryAfterSeconds }, failure: line };
    }
    const report = rotated.value;
    const recorded = await recordKeyRotation(
      { platformUow, clock: systemClock, random: cryptoRandom },
      { rotation: { mode, signer: 'local', ...report }, actor, revokeSessions },
    );
    const published = await publishPlatformEvents(ctx, config, platformUow, publisher, recorded.outboxIds);
    const revokedBefore = recorded.epoch?.epoch ?? null;
    return {
      human: [
        `${mode} rotation done by ${actor.id}`,
        `current  ${report.current}`,
        `next     ${report.next}`,
        `previous ${report.previous ?? '-'}`,
        ...report.retired.map((kid) => `retired  ${kid}${mode === 'emergency' ? ' (gone from the JWKS now; verifiers drop it within their cache time)' : ''}`),
        ...(revokedBefore === null ? [] : [`sessions created up to ${revokedBefore} are revoked on their next refresh`]),
        `event ${recorded.event.id} ${published ? 'published' : 'NOT published yet (it waits in the platform outbox)'}`,
        'running token functions pick the new keys up within 30 s (local ring cache)',
      ],
      json: {
        mode,
        signer: 'local',
        actor: actor.id,
        current_kid: report.current,
        next_kid: report.next,
        previous_kid: report.previous ?? null,
        retired_kids: report.retired,
        sessions_revoked_before: revokedBefore,
        event_id: recorded.event.id,
        event_published: published,
      },
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
 * Publishes the platform outbox rows just written and marks them published.
 * A failure is reported, not thrown: the rotation is done and must not be
 * repeated; the rows stay unpublished in the platform outbox.
 */
async function publishPlatformEvents(
  ctx: CommandContext,
  config: Config,
  platformUow: PlatformUnitOfWork,
  publisher: EventPublisher,
  ids: readonly string[],
): Promise<boolean> {
  try {
    for (const id of ids) {
      const row = await platformUow.run((tx) => tx.outbox.get(id));
      if (row === undefined) throw new Error(`outbox row ${id} vanished`);
      await publisher.publish(toOutgoingMessage(row, config.eventsTopic));
      await platformUow.run(async (tx) => tx.outbox.markPublished(id, new Date(systemClock.now()).toISOString()));
    }
    return true;
  } catch (e) {
    ctx.progress(`warning: could not publish to ${config.eventsTopic}: ${(e as Error).message.split('\n')[0] ?? ''}`);
    return false;
  }
}

interface KmsPlanInput {
  readonly mode: 'scheduled' | 'emergency';
  readonly actor: Actor;
  /** Set with --revoke-sessions: where the platform epoch is raised and its event published. */
  readonly revocation: { readonly platformUow: PlatformUnitOfWork; readonly publisher: EventPublisher } | undefined;
}

/** The gcloud and Terraform steps of a KMS rotation; refuses (nothing rotated), but revokes sessions when asked. */
async function kmsPlan(ctx: CommandContext, config: Config, input: KmsPlanInput): Promise<CommandResult> {
  const signer = config.signer;
  if (signer.kind !== 'kms') throw new Error('not a KMS signer');
  const steps = kmsSteps(signer, input.mode);
  let revokedBefore: string | null = null;
  if (input.revocation !== undefined) {
    const { platformUow, publisher } = input.revocation;
    const facts = platformRevocationFacts({ clock: systemClock, random: cryptoRandom }, { actor: input.actor, reason: 'key_compromise' });
    const epoch = await platformUow.run(async (tx) => writePlatformRevocation(tx, await tx.revocationEpochs.get(PLATFORM_SCOPE), facts));
    await publishPlatformEvents(ctx, config, platformUow, publisher, [facts.eventId]);
    revokedBefore = epoch.epoch;
  }
  const line = 'a KMS key rotation is a deploy: follow the steps printed (no key was rotated here)';
  return {
    human: [
      `${input.mode} rotation of the KMS signing key: steps`,
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      ...(revokedBefore === null ? [] : [`sessions created up to ${revokedBefore} are revoked on their next refresh (platform epoch raised by ${input.actor.id})`]),
    ],
    json: { error: 'deploy_required', error_description: line, mode: input.mode, signer: 'kms', steps, sessions_revoked_before: revokedBefore },
    failure: line,
  };
}

/** `projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N` -> its parts. */
function parts(version: string): { project: string; location: string; keyRing: string; key: string; n: string } {
  const [, project = '', , location = '', , keyRing = '', , key = '', , n = ''] = version.split('/');
  return { project, location, keyRing, key, n };
}

function kmsSteps(signer: Extract<Config['signer'], { kind: 'kms' }>, mode: 'scheduled' | 'emergency'): string[] {
  const c = parts(signer.current);
  const next = signer.next === undefined ? undefined : parts(signer.next).n;
  const previous = signer.previous === undefined ? undefined : parts(signer.previous).n;
  const gcloud = (verb: string, p: { project: string; location: string; keyRing: string; key: string }, extra = '') =>
    `gcloud kms keys versions ${verb}${extra} --key=${p.key} --keyring=${p.keyRing} --location=${p.location} --project=${p.project}`;
  const create = gcloud('create', c);
  const replica = signer.replica === undefined ? undefined : parts(signer.replica.current);
  const replicaStep =
    replica === undefined
      ? 'no replica key is configured (IAM_KMS_REPLICA_KEY_CURRENT): the circuit breaker has nothing to fail over to'
      : `the replica key (${replica.location}) rotates the same way, with its own versions (IAM_KMS_REPLICA_KEY_*)`;
  if (next === undefined) {
    return [
      `no next key version is published yet (IAM_KMS_KEY_NEXT): ${create}`,
      `set jwt_key_versions = { current = ${c.n}, next = <the new version>${previous === undefined ? '' : `, previous = ${previous}`} } and terraform apply: the new key is pre-published in the JWKS`,
      `wait at least ${JWKS_MAX_STALENESS_SECONDS} s after the deploy, then run iamctl keys rotate${mode === 'emergency' ? ' --emergency' : ''} again for the next steps`,
      replicaStep,
    ];
  }
  if (mode === 'scheduled') {
    return [
      `check that version ${next} has been deployed as IAM_KMS_KEY_NEXT for at least ${JWKS_MAX_STALENESS_SECONDS} s (verifiers must hold it before it signs)`,
      `${create}   (the new next version, N)`,
      `set jwt_key_versions = { current = ${next}, next = N, previous = ${c.n} } and terraform apply`,
      ...(previous === undefined ? [] : [`after 15 min (the access token lifetime) + ${JWKS_MAX_STALENESS_SECONDS} s: ${gcloud('disable', c, ` ${previous}`)}`]),
      replicaStep,
    ];
  }
  return [
    `${create}   (the new next version, N)`,
    `set jwt_key_versions = { current = ${next}, next = N${previous === undefined ? '' : `, previous = ${previous}`} } and terraform apply: version ${c.n} leaves the JWKS at once`,
    `${gcloud('disable', c, ` ${c.n}`)}   (KMS refuses to sign with it from now on)`,
    `check: the JWKS at <issuer>/.well-known/jwks.json no longer lists version ${c.n}'s kid; verifiers drop it within ${JWKS_MAX_STALENESS_SECONDS} s`,
    'to revoke every session too, run iamctl keys rotate --emergency --revoke-sessions once the deploy has rolled out',
    replicaStep,
  ];
}
