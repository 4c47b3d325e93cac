/** `iamctl user disable`: disables a user (login refused, sessions revoked) through the accounts admin API. */
import * as v from 'valibot';
import { defineCommand } from '../../command.ts';
import { callAdminApi, TenantFlag, UserFlag, usersPath } from '../../user-api.ts';

export default defineCommand({
  summary: 'disable a user (login refused, sessions revoked) through the accounts API',
  usage: '--tenant T --user U',
  flags: { tenant: { type: 'string' }, user: { type: 'string' } },
  schema: v.strictObject({ tenant: TenantFlag, user: UserFlag }),
  async run(ctx, flags) {
    const { body } = await callAdminApi(ctx, 'POST', usersPath(flags.tenant, flags.user, 'disable'));
    const changed = body['changed'] === true;
    const revoked = Number(body['revoked_sessions'] ?? 0);
    return {
      human: [changed ? `user ${flags.user} of tenant ${flags.tenant} disabled (${revoked} session${revoked === 1 ? '' : 's'} revoked)` : `user ${flags.user} of tenant ${flags.tenant} was already disabled`],
      json: { user_id: flags.user, status: 'disabled', changed, revoked_sessions: revoked },
    };
  },
});
