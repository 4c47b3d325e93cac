/**
 * Users, in their tenant's region: collection `users` (one document per user
 * id) and collection `user_emails`, the uniqueness index of normalised emails
 * per tenant. The index document id is `<tenant>:<sha256(email)>`, so no email
 * address appears in a document id.
 *
 * A user document also carries `active_at` (the last login, else the creation:
 * the user's last activity), kept by this repository on every write and
 * stripped on read, so the rehash job finds inactive users with one range.
 * `outdatedInactive` needs the composite index
 * `users (password.hash_version ASC, active_at ASC)` (docs/storage.md).
 */
import { createHash } from 'node:crypto';
import type { User } from '../../domain/accounts/user.ts';
import type { UserRepo } from '../../domain/ports.ts';
import type { Doc, DocTransaction } from './documents.ts';
import { MAX_IN_VALUES } from './documents.ts';

/** The collection holding users. */
export const USERS = 'users';
/** The collection holding the email uniqueness index. */
export const USER_EMAILS = 'user_emails';

/** The id of a user's email index document. */
export function emailKey(tenantId: string, email: string): string {
  return `${tenantId}:${createHash('sha256').update(email, 'utf8').digest('hex')}`;
}

function toDoc(user: User): Doc {
  return { ...user, active_at: user.last_login_at ?? user.created_at };
}

function toUser(doc: Doc): User {
  const { active_at: _active, ...user } = doc;
  return user as unknown as User;
}

/** The hash versions `outdatedInactive` looks for: the (at most 30) just below `below`. */
export function versionsBelow(below: number): number[] {
  const out: number[] = [];
  for (let v = below - 1; v >= 1 && out.length < MAX_IN_VALUES; v--) out.push(v);
  return out;
}

/** The user repository of one transaction. */
export function userRepo(tx: DocTransaction): UserRepo {
  const get = async (tenantId: string, userId: string): Promise<User | undefined> => {
    const doc = await tx.get(USERS, userId);
    // A user of another tenant is never returned, whatever id is asked for.
    return doc === undefined || doc['tenant_id'] !== tenantId ? undefined : toUser(doc);
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
      tx.create(USERS, user.user_id, toDoc(user));
    },
    put(user) {
      tx.set(USERS, user.user_id, toDoc(user));
    },
    async outdatedInactive({ belowVersion, inactiveBefore, limit }) {
      const versions = versionsBelow(belowVersion);
      if (versions.length === 0) return [];
      const found = await tx.query(USERS, {
        where: [
          ['password.hash_version', 'in', versions],
          ['active_at', '<', inactiveBefore],
        ],
        orderBy: [['active_at', 'asc']],
        limit,
      });
      return found.map((f) => toUser(f.data));
    },
  };
}
