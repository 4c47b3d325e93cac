/**
 * The local `Mailer`: a dev mailbox in the platform database (collection
 * `dev_mailbox`), which `iamctl mail last --to E` and tests read. Allowed only
 * on the emulator (`loadConfig` refuses `IAM_MAILER=dev-mailbox` elsewhere):
 * it keeps magic links readable.
 */
import type { Clock, Mailer, Random } from '../../domain/ports.ts';
import type { DocDatabase } from '../store/documents.ts';

/** The collection of the dev mailbox (platform database). */
export const DEV_MAILBOX = 'dev_mailbox';

/** One delivered mail. */
export interface DevMail {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly sent_at: string;
}

/** A `Mailer` that delivers into the dev mailbox of `db` (the platform database). */
export function createDevMailbox(db: DocDatabase, deps: { readonly clock: Clock; readonly random: Random }): Mailer {
  return {
    async send(message) {
      const sentAt = new Date(deps.clock.now()).toISOString();
      // The id sorts by time, then is unique.
      const id = `${sentAt}-${deps.random.uuid()}`;
      const mail: DevMail = { id, to: message.to, subject: message.subject, text: message.text, sent_at: sentAt };
      await db.runTransaction(async (tx) => tx.create(DEV_MAILBOX, id, { ...mail }));
    },
  };
}

/** The newest mail to `to` (an exact, normalised address), if any. */
export async function lastMailTo(db: DocDatabase, to: string): Promise<DevMail | undefined> {
  const found = await db.query(DEV_MAILBOX, { where: [['to', '==', to]], orderBy: [['sent_at', 'desc']], limit: 1 });
  return found[0]?.data as DevMail | undefined;
}

/** The `Mailer` when none is configured (`IAM_MAILER=none`): every send fails, and the caller logs it. */
export const noMailer: Mailer = {
  async send() {
    throw new Error('no mailer is configured (IAM_MAILER=none)');
  },
};
