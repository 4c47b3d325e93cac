/**
 * `iamctl user create`: creates a user through the accounts admin API, as the
 * bootstrap platform admin. `--password-stdin` reads an initial password from
 * stdin (never from a flag: flags end up in shell history and `ps`).
 */
import * as v from 'valibot';
import { defineCommand } from '../../command.ts';
import { callAdminApi, readPasswordFromStdin, RolesFlag, TenantFlag, usersPath } from '../../user-api.ts';

export default defineCommand({
  summary: 'create a user with roles (and an initial password from stdin) through the accounts API',
  usage: '--tenant T --email E --roles r1,r2 [--password-stdin]',
  flags: { tenant: { type: 'string' }, email: { type: 'string' }, roles: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  schema: v.strictObject({
    tenant: TenantFlag,
    email: v.pipe(v.string(), v.minLength(3), v.maxLength(320)),
    roles: RolesFlag,
    'password-stdin': v.optional(v.boolean(), false),
  }),
  async run(ctx, flags) {
    const password = flags['password-stdin'] ? await readPasswordFromStdin() : undefined;
    const { body } = await callAdminApi(ctx, 'POST', usersPath(flags.tenant), {
      email: flags.email,
      roles: flags.roles,
      ...(password === undefined ? {} : { password }),
    });
    const userId = String(body['user_id']);
    return {
      human: [`user ${userId} created in tenant ${flags.tenant} with roles [${flags.roles.join(', ')}]${password === undefined ? ' (no password)' : ''}`],
      json: { user_id: userId },
    };
  },
});
