/** Every storage contract suite, for a backend's test file to run at once. */
import { auditRepoContract } from './audit-repo.contract.ts';
import { documentContract } from './documents.contract.ts';
import type { StoresFactory } from './fixtures.ts';
import { inboxRepoContract } from './inbox-repo.contract.ts';
import { lockoutRepoContract } from './lockout-repo.contract.ts';
import { magicLinkThrottleRepoContract } from './magic-link-throttle-repo.contract.ts';
import { mfaReposContract } from './mfa-repos.contract.ts';
import { oneTimeTokenReposContract } from './one-time-token-repos.contract.ts';
import { outboxRepoContract } from './outbox-repo.contract.ts';
import { revocationRepoContract } from './revocation-repo.contract.ts';
import { riskReposContract } from './risk-repos.contract.ts';
import { sessionRepoContract } from './session-repo.contract.ts';
import { tenantDirectoryContract } from './tenant-directory.contract.ts';
import { tenantRepoContract } from './tenant-repo.contract.ts';
import { unitOfWorkContract } from './unit-of-work.contract.ts';
import { userRepoContract } from './user-repo.contract.ts';
import { webauthnReposContract } from './webauthn-repos.contract.ts';

export type { StoresFactory } from './fixtures.ts';

/** Runs every storage contract suite against one backend. */
export function storageContracts(backend: string, makeStores: StoresFactory): void {
  documentContract(backend, makeStores);
  unitOfWorkContract(backend, makeStores);
  tenantDirectoryContract(backend, makeStores);
  tenantRepoContract(backend, makeStores);
  outboxRepoContract(backend, makeStores);
  auditRepoContract(backend, makeStores);
  inboxRepoContract(backend, makeStores);
  lockoutRepoContract(backend, makeStores);
  sessionRepoContract(backend, makeStores);
  oneTimeTokenReposContract(backend, makeStores);
  magicLinkThrottleRepoContract(backend, makeStores);
  userRepoContract(backend, makeStores);
  revocationRepoContract(backend, makeStores);
  riskReposContract(backend, makeStores);
  mfaReposContract(backend, makeStores);
  webauthnReposContract(backend, makeStores);
}
