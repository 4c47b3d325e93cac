/**
 * Transactions in the platform database, for platform-wide records that
 * belong to no tenant: the platform revocation epoch, and the audit events and
 * outbox rows of platform actions (key rotations, platform-wide revocations),
 * all with `tenant_id` `_platform` (`PLATFORM_SCOPE`). The collections are the
 * regional ones' (`audit`, `outbox`, `revocation_epochs`), so the same
 * repositories serve both.
 *
 * The guard is the residency guard's mirror: every document written must
 * carry `tenant_id` `_platform`, so nothing of a tenant (personal data, which
 * stays in its region) can land in the platform database this way.
 */
import { IamError } from '../../domain/errors.ts';
import type { PlatformUnitOfWork } from '../../domain/ports.ts';
import { PLATFORM_SCOPE } from '../../domain/sessions/revocation-epoch.ts';
import { auditRepo } from './audit-repo.ts';
import type { BeforeCommit, DocDatabase } from './documents.ts';
import { outboxRepo } from './outbox-repo.ts';
import { revocationEpochRepo } from './revocation-repo.ts';

const platformOnly: BeforeCommit = async (writes, current) => {
  for (const w of writes) {
    const doc = w.kind === 'set' || w.kind === 'create' ? w.data : await current(w.collection, w.id);
    const owner = doc?.['tenant_id'];
    if (owner !== PLATFORM_SCOPE && !(w.kind === 'delete' && doc === undefined)) {
      throw new IamError('residency_violation', `a platform transaction wrote ${w.collection}/${w.id} of '${String(owner)}'`);
    }
  }
};

/** The platform unit of work over the platform database (`stores.databases.platform`). */
export function platformUnitOfWork(platform: DocDatabase): PlatformUnitOfWork {
  return {
    run(fn) {
      return platform.runTransaction(
        (tx) => fn({ revocationEpochs: revocationEpochRepo(tx), audit: auditRepo(tx), outbox: outboxRepo(tx) }),
        { beforeCommit: platformOnly },
      );
    },
  };
}
