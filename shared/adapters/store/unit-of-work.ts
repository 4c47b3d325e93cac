/**
 * The unit of work over regional document databases, shared by every backend:
 * one transaction in the region's database, the repositories bound to it, and
 * the residency guard checking every write before commit.
 */
import type { TenantDirectory, TxRepos, UnitOfWork } from '../../domain/ports.ts';
import { REGIONS, type Region } from '../../domain/tenants/tenant.ts';
import { auditRepo } from './audit-repo.ts';
import type { BeforeCommit, DocDatabase, DocTransaction } from './documents.ts';
import { inboxRepo } from './inbox-repo.ts';
import { lockoutRepo } from './lockout-repo.ts';
import { magicLinkRepo } from './magic-link-repo.ts';
import { magicLinkThrottleRepo } from './magic-link-throttle-repo.ts';
import { mfaAttemptRepo } from './mfa-attempt-repo.ts';
import { mfaFactorRepo } from './mfa-factor-repo.ts';
import { mfaTokenRepo } from './mfa-token-repo.ts';
import { outboxRepo } from './outbox-repo.ts';
import { recoveryCodeRepo } from './recovery-code-repo.ts';
import { refreshTokenRepo } from './refresh-token-repo.ts';
import { riskCacheRepo } from './risk-cache-repo.ts';
import { riskReviewRepo } from './risk-review-repo.ts';
import { cachedRegions, residencyGuard } from './residency.ts';
import { revocationEpochRepo } from './revocation-repo.ts';
import { sightingRepo } from './sightings-repo.ts';
import { sessionRepo } from './session-repo.ts';
import { tenantRepo } from './tenant-repo.ts';
import { userRepo } from './user-repo.ts';
import { webauthnChallengeRepo } from './webauthn-challenge-repo.ts';

/** The repositories of one transaction. Add a repository here when `TxRepos` grows. */
export function txRepos(region: Region, tx: DocTransaction): TxRepos {
  return {
    region,
    tenants: tenantRepo(tx),
    outbox: outboxRepo(tx),
    audit: auditRepo(tx),
    inbox: inboxRepo(tx),
    users: userRepo(tx),
    lockouts: lockoutRepo(tx),
    sessions: sessionRepo(tx),
    refreshTokens: refreshTokenRepo(tx),
    mfaTokens: mfaTokenRepo(tx),
    magicLinks: magicLinkRepo(tx),
    magicLinkThrottles: magicLinkThrottleRepo(tx),
    mfaFactors: mfaFactorRepo(tx),
    recoveryCodes: recoveryCodeRepo(tx),
    mfaAttempts: mfaAttemptRepo(tx),
    webauthnChallenges: webauthnChallengeRepo(tx),
    revocationEpochs: revocationEpochRepo(tx),
    riskSightings: sightingRepo(tx),
    riskCache: riskCacheRepo(tx),
    riskReviews: riskReviewRepo(tx),
  };
}

/** A unit of work over one database per region, guarded by the tenant directory. */
export function documentUnitOfWork(databases: Readonly<Record<Region, DocDatabase>>, directory: TenantDirectory): UnitOfWork {
  const regions = cachedRegions(directory);
  const guards = Object.fromEntries(REGIONS.map((r) => [r, residencyGuard(r, regions)])) as Record<Region, BeforeCommit>;
  return {
    run(region, fn) {
      const db = databases[region];
      if (db === undefined) throw new TypeError(`unknown region '${String(region)}'`);
      return db.runTransaction((tx) => fn(txRepos(region, tx)), { beforeCommit: guards[region] });
    },
  };
}
