/** `iamctl user roles`: replaces a user's roles through the accounts admin API. */
import * as v from 'valibot';
import { defineCommand } from '../../command.ts';
import { callAdminApi, RolesFlag, TenantFlag, UserFlag, usersPath } from '../../user-api.ts';

export default defineCommand({
  summary: "replace a user's roles through the accounts API (--roles '' removes them all)",
  usage: '--tenant T --user U --roles r1,r2',
  flags: { tenant: { type: 'string' }, user: { type: 'string' }, roles: { type: 'string' } },
  schema: v.strictObject({ tenant: TenantFlag, user: UserFlag, roles: RolesFlag }),
  async run(ctx, flags) {
    const { body } = await callAdminApi(ctx, 'PUT', usersPath(flags.tenant, flags.user, 'roles'), { roles: flags.roles });
    const roles = Array.isArray(body['roles']) ? body['roles'].map(String) : flags.roles;
    const changed = body['changed'] === true;
    return {
      human: [changed ? `user ${flags.user} of tenant ${flags.tenant} now has roles [${roles.join(', ')}]` : `user ${flags.user} already had roles [${roles.join(', ')}]; nothing changed`],
      json: { user_id: flags.user, roles, changed },
    };
  },
});
