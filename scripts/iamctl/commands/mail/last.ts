/**
 * `iamctl mail last --to E`: the newest mail the local stack's dev mailbox
 * holds for an address (magic links). Only on a local target: production
 * sends real mail and keeps no mailbox.
 */
import * as v from 'valibot';
import { lastMailTo } from '../../../../shared/adapters/local/dev-mailbox.ts';
import { normalizeEmail } from '../../../../shared/domain/accounts/normalize-email.ts';
import { CliError, defineCommand, usageError } from '../../command.ts';

export default defineCommand({
  summary: 'show the newest mail in the dev mailbox for an address (local stack only)',
  usage: '--to EMAIL',
  flags: { to: { type: 'string' } },
  schema: v.strictObject({ to: v.pipe(v.string(), v.minLength(1)) }),
  async run(ctx, flags) {
    const email = normalizeEmail(flags.to);
    if (email.kind !== 'ok') throw usageError(`--to: not an email address (${email.reason})`);
    const target = await ctx.target();
    if (!target.local) throw new CliError('not_local', 'the dev mailbox exists only on the local stack');
    const stores = await ctx.stores();
    const mail = await lastMailTo(stores.databases.platform, email.email);
    if (mail === undefined) throw new CliError('not_found', `no mail to ${email.email} in the dev mailbox`);
    const token = /#token=([^\s]+)/.exec(mail.text)?.[1];
    return {
      human: [`to: ${mail.to}`, `sent: ${mail.sent_at}`, `subject: ${mail.subject}`, '', ...mail.text.split('\n')],
      json: {
        to: mail.to,
        sent_at: mail.sent_at,
        subject: mail.subject,
        text: mail.text,
        ...(token === undefined ? {} : { magic_link_token: decodeURIComponent(token) }),
      },
    };
  },
});
