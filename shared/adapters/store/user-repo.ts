/**
 * Users, in their tenant's region: collection `users` (one document per user
 * id) and collection `user_emails`, the uniqueness index of normalised emails
 * per tenant. The index document id is `<tenant>:<sha256(email)>`, so no email
 * address appears in a document id.
 */
import { createHash } from 'node:crypto';
import type { User } from '../../domain/accounts/user.ts';
import type { UserRepo } from '../../domain/ports.ts';
import type { DocTransaction } from './documents.ts';

/** The collection holding users. */
export const USERS = 'users';
/** The collection holding the email uniqueness index. */
export const USER_EMAILS = 'user_emails';

/** The id of a user's email index document. */
export function emailKey(tenantId: string, email: string): string {
  return `${tenantId}:${createHash('sha256').update(email, 'utf8').digest('hex')}`;
}

/** The user repository of one transaction. */
export function userRepo(tx: DocTransaction): UserRepo {
  const get = async (tenantId: string, userId: string): Promise<User | undefined> => {
    const doc = await tx.get(USERS, userId);
    // A user of another tenant is never returned, whatever id is asked for.
    return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : (doc as unknown as User);
  };
  return {
    get,
    async findByEmail(tenantId, email) {
      const index = await tx.get(USER_EMAILS, emailKey(tenantId, email));
      const userId = index?.['user_id'];
      return typeof userId === 'string' ? get(tenantId, userId) : undefined;
    },
    create(user) {
      tx.create(USER_EMAILS, emailKey(user.tenant_id, user.email), { tenant_id: user.tenant_id, user_id: user.user_id });
      tx.create(USERS, user.user_id, { ...user });
    },
    put(user) {
      tx.set(USERS, user.user_id, { ...user });
    },
  };
}
