/**
 * `iamctl tenant create`: publishes `tenant.created.v1` to the `tenant-events`
 * topic, as the platform does, and returns once the tenant is readable in its
 * region's Firestore database (the tenant-events function applied it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { describeIssue } from '../../../../shared/domain/events/describe-issue.ts';
import { fillPolicyDefaults, PolicyInputSchema, REGIONS, TenantIdSchema, type PolicyInput } from '../../../../shared/domain/tenants/tenant.ts';
import { CliError, defineCommand, usageError } from '../../command.ts';
import { publishCloudEvent, TENANT_EVENTS_TOPIC } from '../../cloud-events.ts';

const POLL_MS = 200;
const PROGRESS_EVERY_MS = 5_000;

function readPolicy(file: string, cwd: string, publicOrigin: string): PolicyInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.resolve(cwd, file), 'utf8'));
  } catch (e) {
    const why = (e as { code?: string }).code === 'ENOENT' ? 'no such file' : 'not valid JSON';
    throw usageError(`--policy ${file}: ${why}`);
  }
  const parsed = v.safeParse(PolicyInputSchema, raw);
  if (!parsed.success) throw usageError(`--policy ${file}: ${describeIssue(parsed.issues)}`);
  const filled = fillPolicyDefaults(parsed.output, { publicOrigin });
  if (typeof filled === 'string') throw usageError(`--policy ${file}: ${filled}`);
  return parsed.output;
}

export default defineCommand({
  summary: 'create a tenant: publish tenant.created.v1 and wait until it is readable in its region',
  usage: '--id T --region eu|me|us [--policy file.json] [--timeout SECONDS]',
  flags: { id: { type: 'string' }, region: { type: 'string' }, policy: { type: 'string' }, timeout: { type: 'string' } },
  schema: v.strictObject({
    id: TenantIdSchema,
    region: v.picklist(REGIONS, 'one of eu, me, us'),
    policy: v.optional(v.pipe(v.string(), v.minLength(1))),
    timeout: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'a number of seconds'), v.transform(Number), v.minValue(1)), '30'),
  }),
  async run(ctx, flags) {
    const target = await ctx.target();
    const policy = flags.policy === undefined ? undefined : readPolicy(flags.policy, ctx.cwd, target.config.publicOrigin);
    const stores = await ctx.stores();
    const recorded = await stores.directory.regionOf(flags.id);
    if (recorded !== undefined && recorded !== flags.region) {
      throw new CliError('region_conflict', `tenant ${flags.id} already lives in region ${recorded}`);
    }
    const readTenant = () => stores.databases.regions[flags.region].get('tenants', flags.id);
    const existing = await readTenant();
    if (existing !== undefined) {
      return {
        human: [`tenant ${flags.id} already exists in ${flags.region} (version ${String(existing['version'])}); nothing published`],
        json: { tenant_id: flags.id, region: flags.region, status: 'already_exists', event_id: null, version: existing['version'] },
      };
    }
    const published = await publishCloudEvent(await ctx.publisher(), {
      topic: TENANT_EVENTS_TOPIC,
      type: 'tenant.created.v1',
      data: { tenant_id: flags.id, region: flags.region, ...(policy === undefined ? {} : { policy }) },
    });
    ctx.progress(`published tenant.created.v1 ${published.event_id}; waiting for tenant ${flags.id} in ${flags.region}`);
    const started = Date.now();
    let nextProgress = started + PROGRESS_EVERY_MS;
    for (;;) {
      const tenant = await readTenant();
      if (tenant !== undefined) {
        const ms = Date.now() - started;
        return {
          human: [`tenant ${flags.id} created in ${flags.region} (version ${String(tenant['version'])}, readable after ${ms} ms)`],
          json: { tenant_id: flags.id, region: flags.region, status: 'created', event_id: published.event_id, version: tenant['version'] },
        };
      }
      const waited = Date.now() - started;
      if (waited >= flags.timeout * 1000) {
        throw new CliError(
          'timeout',
          `tenant ${flags.id} was not readable in ${flags.region} after ${flags.timeout} s (event ${published.event_id} is on ${TENANT_EVENTS_TOPIC}); is the tenant-events function running? see its log and the ${TENANT_EVENTS_TOPIC}-dlq-tap subscription`,
        );
      }
      if (Date.now() >= nextProgress) {
        ctx.progress(`still waiting for tenant ${flags.id} (${Math.round(waited / 1000)} s)`);
        nextProgress += PROGRESS_EVERY_MS;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  },
});
