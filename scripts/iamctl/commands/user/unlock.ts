/** `iamctl user unlock`: lifts a user's lockout (every IP) through the accounts admin API. */
import * as v from 'valibot';
import { defineCommand } from '../../command.ts';
import { callAdminApi, TenantFlag, UserFlag, usersPath } from '../../user-api.ts';

export default defineCommand({
  summary: "lift a user's lockout (from every IP) through the accounts API",
  usage: '--tenant T --user U',
  flags: { tenant: { type: 'string' }, user: { type: 'string' } },
  schema: v.strictObject({ tenant: TenantFlag, user: UserFlag }),
  async run(ctx, flags) {
    const { body } = await callAdminApi(ctx, 'POST', usersPath(flags.tenant, flags.user, 'unlock'));
    const cleared = Number(body['cleared_counters'] ?? 0);
    return {
      human: [`user ${flags.user} of tenant ${flags.tenant} unlocked (${cleared} lockout counter${cleared === 1 ? '' : 's'} cleared)`],
      json: { user_id: flags.user, cleared_counters: cleared },
    };
  },
});
