/**
 * Every port of iam-service. The domain depends on these interfaces only;
 * adapters under `shared/adapters/<vendor>/` implement them.
 *
 * Conventions: reads inside a transaction are async; writes inside a
 * transaction are buffered and applied atomically when the transaction
 * commits, after every read (Firestore's rule), so they are synchronous here.
 */
import type { User } from './accounts/user.ts';
import type { LockoutCounter, LockoutKey } from './login/lockout.ts';
import type { MagicLinkThrottle } from './login/magic-link-throttle.ts';
import type { MagicLinkRecord, MfaTokenRecord } from './login/one-time-tokens.ts';
import type { RiskSignals } from './mfa/risk/classifier-policy.ts';
import type { RiskCacheEntry } from './mfa/risk/risk-cache.ts';
import type { RiskReview } from './mfa/risk/risk-review.ts';
import type { UserSightings } from './mfa/risk/sightings.ts';
import type { MfaAttemptCounter, MfaAttemptKey } from './mfa/attempts.ts';
import type { MfaFactor, SealedSecret } from './mfa/factor.ts';
import type { RecoveryCodeSet } from './mfa/recovery-codes.ts';
import type { WebAuthnChallenge } from './mfa/webauthn/challenge.ts';
import type { AuditEvent, DomainEvent, OutboxRow } from './outbox/event.ts';
import type { RevocationEpoch } from './sessions/revocation-epoch.ts';
import type { RefreshTokenRecord, SessionFamily } from './sessions/session.ts';
import type { Region, Tenant } from './tenants/tenant.ts';

// ---------------------------------------------------------------- time and chance

/** The clock. Tests freeze it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Randomness. Production uses the CSPRNG; tests may fix it. */
export interface Random {
  /** `n` cryptographically random bytes. */
  bytes(n: number): Uint8Array;
  /** A random UUID v4. */
  uuid(): string;
}

// ---------------------------------------------------------------- signing keys

/** A public key as published in the JWKS (RFC 7517), EC P-256 only. */
export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'ES256';
}

/** One signing key. `sign` returns a JWS ES256 signature: raw r||s (P1363), 64 bytes. */
export interface TokenSigner {
  readonly kid: string;
  readonly alg: 'ES256';
  publicJwk(): Promise<PublicJwk>;
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/**
 * The role a key plays: in the rotation (`current`, `next`, `previous`), or a
 * `replica`-region key the circuit breaker signs with when the primary fails
 * (always published, so tokens it signs verify; docs/keys.md).
 */
export type KeyStatus = 'current' | 'next' | 'previous' | 'replica';

/** The set of signing keys: the one that signs now, and the ones the JWKS publishes. */
export interface KeyRing {
  /** The key that signs new tokens. */
  current(): Promise<TokenSigner>;
  /** The keys the JWKS publishes: current, next and previous when they exist, and replica keys. */
  published(): Promise<readonly { readonly status: KeyStatus; readonly jwk: PublicJwk }[]>;
}

// ---------------------------------------------------------------- events

/** A message for the event bus. */
export interface OutgoingMessage {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
}

/** Publishes to the event bus (Pub/Sub in production, the emulator locally). */
export interface EventPublisher {
  /** Resolves with the bus's message id once the bus has accepted the message. */
  publish(message: OutgoingMessage): Promise<string>;
}

// ---------------------------------------------------------------- tenants and residency

/** Where each tenant lives. Kept in the platform database; holds no personal data. */
export interface TenantDirectory {
  /** The tenant's region, or undefined for an unknown tenant. */
  regionOf(tenantId: string): Promise<Region | undefined>;
  /**
   * Records the tenant's region once. Returns the region already recorded
   * when there is one (which may differ from `region`).
   */
  claim(tenantId: string, region: Region, at: string): Promise<Region>;
}

/** Tenants, in their region's database. */
export interface TenantRepo {
  get(tenantId: string): Promise<Tenant | undefined>;
  put(tenant: Tenant): void;
}

/** The transactional outbox, in each region's database. */
export interface OutboxRepo {
  add(event: DomainEvent, createdAt: string): void;
  get(id: string): Promise<OutboxRow | undefined>;
  /** Unpublished rows whose lease has lapsed at `now`, oldest first. */
  pending(now: string, limit: number): Promise<readonly OutboxRow[]>;
  lease(id: string, until: string, attempts: number): void;
  markPublished(id: string, at: string): void;
  /** Every row created in `[from, to)`, for reconciliation. */
  createdBetween(from: string, to: string): Promise<readonly OutboxRow[]>;
}

/** The audit log, in each region's database. Kept under legal hold. */
export interface AuditRepo {
  add(event: AuditEvent): void;
  /** Every audit event in `[from, to)`, for reconciliation and review. */
  between(from: string, to: string, tenantId?: string): Promise<readonly AuditEvent[]>;
}

/** Which events a consumer has applied, so a redelivery is applied once. */
export interface InboxRepo {
  seen(consumer: string, eventId: string): Promise<boolean>;
  record(consumer: string, eventId: string, tenantId: string, at: string): void;
}

/**
 * Users, in their tenant's region. Every read names the tenant, and a user of
 * another tenant is never returned: tenants stay inside their walls.
 */
export interface UserRepo {
  get(tenantId: string, userId: string): Promise<User | undefined>;
  /** Looks a user up by normalised email. */
  findByEmail(tenantId: string, email: string): Promise<User | undefined>;
  /** Adds a user; the commit fails with `conflict` if the email is taken in the tenant. */
  create(user: User): void;
  /** Replaces a user (the email must not change). */
  put(user: User): void;
  /**
   * For the rehash job, across the region's tenants: users whose password
   * `hash_version` is one of the (at most 30) versions just below
   * `belowVersion`, and whose last activity (last login, else creation) is
   * before `inactiveBefore`, least recently active first.
   */
  outdatedInactive(query: { readonly belowVersion: number; readonly inactiveBefore: string; readonly limit: number }): Promise<readonly User[]>;
}

/**
 * Lockout counters per (tenant, email hash, client-IP hash), in the tenant's
 * region (`shared/domain/login/lockout.ts`). Only hashes are stored.
 */
export interface LockoutRepo {
  get(key: LockoutKey): Promise<LockoutCounter | undefined>;
  /** Writes the counter (a reserved attempt). */
  put(counter: LockoutCounter): void;
  /** Removes one counter (a successful login from that IP). Removing a missing counter is no error. */
  reset(key: LockoutKey): void;
  /**
   * Removes every counter of one account, from every IP: an admin unlock or a
   * redeemed magic link. This READS (a query) and then buffers the deletes, so
   * call it after the transaction's other reads and before its writes.
   * Returns how many counters there were. `emailHash` is `lockoutEmailHash(email)`.
   */
  clearAccount(tenantId: string, emailHash: string): Promise<number>;
}

/** Session families (`shared/domain/sessions/session.ts`), in the tenant's region. */
export interface SessionRepo {
  /** The family, or undefined (also for a family of another tenant). */
  get(tenantId: string, sessionId: string): Promise<SessionFamily | undefined>;
  /** The families of one user, revoked ones included, newest first. */
  listForUser(tenantId: string, userId: string): Promise<readonly SessionFamily[]>;
  /** Adds a family; the commit fails with `conflict` if the id exists. */
  create(session: SessionFamily): void;
  /** Replaces a family. */
  put(session: SessionFamily): void;
}

/** Refresh tokens by hash, in the tenant's region. */
export interface RefreshTokenRepo {
  /** The record of a token hash, or undefined (also for a record of another tenant). */
  get(tenantId: string, tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Adds a record; the commit fails with `conflict` if the hash exists. */
  create(record: RefreshTokenRecord): void;
  /** Replaces a record (rotation, revocation). */
  put(record: RefreshTokenRecord): void;
  /**
   * Records, of every tenant of the region, whose sealed successor's grace
   * window ended before `before` (`grace_until < before`), oldest first, at
   * most `limit`: what the shredding job clears.
   */
  graceLapsed(before: string, limit: number): Promise<RefreshTokenRecord[]>;
}

/** Pending `mfa_token`s by hash, in the tenant's region. */
export interface MfaTokenRepo {
  /** The record, or undefined (also for another tenant's); expiry is the caller's check. */
  get(tenantId: string, tokenHash: string): Promise<MfaTokenRecord | undefined>;
  create(record: MfaTokenRecord): void;
  /** Consumes the token: single use. */
  delete(tenantId: string, tokenHash: string): void;
}

/** Unredeemed magic links by hash, in the tenant's region. */
export interface MagicLinkRepo {
  /** The record, or undefined (also for another tenant's); expiry is the caller's check. */
  get(tenantId: string, tokenHash: string): Promise<MagicLinkRecord | undefined>;
  create(record: MagicLinkRecord): void;
  /** Consumes the link: single use. */
  delete(tenantId: string, tokenHash: string): void;
}

/**
 * Each user's magic-link quota (`shared/domain/login/magic-link-throttle.ts`),
 * in the tenant's region: ids and instants only, no email.
 */
export interface MagicLinkThrottleRepo {
  /** The user's record, or undefined (also for another tenant's or user's). */
  get(tenantId: string, userId: string): Promise<MagicLinkThrottle | undefined>;
  /** Writes the user's record, replacing the previous one. */
  put(throttle: MagicLinkThrottle): void;
}

/**
 * Revocation epochs (`shared/domain/sessions/revocation-epoch.ts`), one
 * document per scope: a tenant's in its region (`TxRepos`), the platform's
 * in the platform database (`PlatformTxRepos`).
 */
export interface RevocationEpochRepo {
  /** The epoch of a scope (a tenant id, or `_platform`), or undefined when none was ever set. */
  get(scope: string): Promise<RevocationEpoch | undefined>;
  /** Writes the scope's epoch (`epoch.tenant_id`): one write, whatever the number of sessions. */
  put(epoch: RevocationEpoch): void;
}

/** The platform revocation epoch as request paths read it: outside any transaction, cached briefly. */
export interface PlatformEpochSource {
  current(): Promise<RevocationEpoch | undefined>;
}

/**
 * Second factors (`shared/domain/mfa/factor.ts`), TOTP and WebAuthn, in the
 * tenant's region. Reads never return a factor of another tenant.
 */
export interface MfaFactorRepo {
  get(tenantId: string, factorId: string): Promise<MfaFactor | undefined>;
  /** Every factor of one user, pending ones included, oldest first. */
  listForUser(tenantId: string, userId: string): Promise<readonly MfaFactor[]>;
  /** Adds a factor; the commit fails with `conflict` if the id exists. */
  create(factor: MfaFactor): void;
  /** Replaces a factor. */
  put(factor: MfaFactor): void;
  delete(tenantId: string, factorId: string): void;
  /** The WebAuthn factor (pending or confirmed) with this base64url credential id in the tenant, if any. */
  findByCredentialId(tenantId: string, credentialId: string): Promise<MfaFactor | undefined>;
}

/** A credential as the relying party checks an assertion against it (base64url fields). */
export interface WebAuthnCredentialRef {
  readonly id: string;
  readonly publicKey: string;
  readonly transports: readonly string[];
}

/** What the relying party checks a response against (WebAuthn §7.1, §7.2). */
export interface WebAuthnExpectations {
  /** base64url challenge as issued. */
  readonly challenge: string;
  readonly origins: readonly string[];
  readonly rpId: string;
  readonly requireUserVerification: boolean;
}

/** A registration response that passed every check of WebAuthn §7.1. */
export interface WebAuthnRegistered {
  readonly credentialId: string;
  /** base64url COSE public key. */
  readonly publicKey: string;
  readonly signCount: number;
  readonly transports: readonly string[];
  readonly userVerified: boolean;
}

/** An assertion whose signature, challenge, origin, RP ID and flags passed WebAuthn §7.2 (the counter is the caller's check). */
export interface WebAuthnAsserted {
  readonly signCount: number;
  readonly userVerified: boolean;
}

/**
 * The WebAuthn relying-party operations (W3C WebAuthn Level 3): options JSON
 * for the browser, and the verification of its responses. Verification
 * outcomes are values: `{ok: false, reason}` for any response that fails a
 * check. Adapter: `shared/adapters/webauthn/simplewebauthn-relying-party.ts`
 * (`@simplewebauthn/server`).
 */
export interface WebAuthnRelyingParty {
  /** `PublicKeyCredentialCreationOptionsJSON`. */
  registrationOptions(input: {
    readonly rpId: string;
    readonly rpName: string;
    readonly userHandle: string;
    readonly userName: string;
    readonly challenge: string;
    readonly excludeCredentials: readonly Omit<WebAuthnCredentialRef, 'publicKey'>[];
    readonly userVerification: 'required' | 'preferred';
  }): Promise<Record<string, unknown>>;
  verifyRegistration(response: unknown, expected: WebAuthnExpectations): Promise<{ readonly ok: true; readonly value: WebAuthnRegistered } | { readonly ok: false; readonly reason: string }>;
  /** `PublicKeyCredentialRequestOptionsJSON`. */
  authenticationOptions(input: {
    readonly rpId: string;
    readonly challenge: string;
    readonly allowCredentials: readonly Omit<WebAuthnCredentialRef, 'publicKey'>[];
    readonly userVerification: 'required' | 'preferred';
  }): Promise<Record<string, unknown>>;
  verifyAuthentication(
    response: unknown,
    credential: WebAuthnCredentialRef,
    expected: WebAuthnExpectations,
  ): Promise<{ readonly ok: true; readonly value: WebAuthnAsserted } | { readonly ok: false; readonly reason: string }>;
}

/** Live WebAuthn challenges (`mfa/webauthn/challenge.ts`), in the tenant's region. */
export interface WebAuthnChallengeRepo {
  get(tenantId: string, key: string): Promise<WebAuthnChallenge | undefined>;
  /** Stores a challenge, replacing the binding's previous one. */
  put(challenge: WebAuthnChallenge): void;
  delete(tenantId: string, key: string): void;
}

/** Each user's one set of recovery codes (`shared/domain/mfa/recovery-codes.ts`), stored only hashed. */
export interface RecoveryCodeRepo {
  get(tenantId: string, userId: string): Promise<RecoveryCodeSet | undefined>;
  /** Writes the user's set, replacing (voiding) any previous one. */
  put(set: RecoveryCodeSet): void;
  delete(tenantId: string, userId: string): void;
}

/** Failed second-factor attempts per `mfa_token` and per user (`shared/domain/mfa/attempts.ts`). */
export interface MfaAttemptRepo {
  get(key: MfaAttemptKey): Promise<MfaAttemptCounter | undefined>;
  put(counter: MfaAttemptCounter): void;
  /** Removes a counter; removing a missing one is no error. */
  reset(key: MfaAttemptKey): void;
}

/** What adaptive MFA remembers of each user (`mfa/risk/sightings.ts`), in the tenant's region. */
export interface SightingRepo {
  /** The user's sightings, or undefined (also for another tenant's). */
  get(tenantId: string, userId: string): Promise<UserSightings | undefined>;
  /** Replaces the user's sightings. */
  put(sightings: UserSightings): void;
  /** Forgets the user (erasure). Deleting nothing is no error. */
  delete(tenantId: string, userId: string): void;
}

/** Cached risk decisions by (user, network pseudonym) (`mfa/risk/risk-cache.ts`), in the tenant's region. */
export interface RiskCacheRepo {
  /** The entry, or undefined (also for another tenant's); expiry is the caller's check. */
  get(tenantId: string, userId: string, networkKey: string): Promise<RiskCacheEntry | undefined>;
  put(entry: RiskCacheEntry): void;
  delete(tenantId: string, userId: string, networkKey: string): void;
  /** Removes every entry of the user: READS, then buffers the deletes. Returns how many there were. */
  deleteForUser(tenantId: string, userId: string): Promise<number>;
}

/** The human review queue of risk decisions (`mfa/risk/risk-review.ts`), in the tenant's region. */
export interface RiskReviewRepo {
  /** The item, or undefined (also for another tenant's). */
  get(tenantId: string, id: string): Promise<RiskReview | undefined>;
  /** The user's open item, if any. */
  openForUser(tenantId: string, userId: string): Promise<RiskReview | undefined>;
  /** The tenant's open items, oldest first. */
  listOpen(tenantId: string, limit: number): Promise<readonly RiskReview[]>;
  /** Queues an item; the commit fails with `conflict` if the id exists. */
  create(review: RiskReview): void;
  /** Replaces an item (another occurrence, a resolution). */
  put(review: RiskReview): void;
  /** Removes every item of the user: READS, then buffers the deletes. Returns how many there were. */
  deleteForUser(tenantId: string, userId: string): Promise<number>;
}

/** The repositories one transaction can use. */
export interface TxRepos {
  readonly region: Region;
  readonly tenants: TenantRepo;
  readonly outbox: OutboxRepo;
  readonly audit: AuditRepo;
  readonly inbox: InboxRepo;
  readonly users: UserRepo;
  readonly lockouts: LockoutRepo;
  readonly sessions: SessionRepo;
  readonly refreshTokens: RefreshTokenRepo;
  readonly mfaTokens: MfaTokenRepo;
  readonly magicLinks: MagicLinkRepo;
  readonly magicLinkThrottles: MagicLinkThrottleRepo;
  readonly mfaFactors: MfaFactorRepo;
  readonly recoveryCodes: RecoveryCodeRepo;
  readonly mfaAttempts: MfaAttemptRepo;
  readonly webauthnChallenges: WebAuthnChallengeRepo;
  readonly revocationEpochs: RevocationEpochRepo;
  readonly riskSightings: SightingRepo;
  readonly riskCache: RiskCacheRepo;
  readonly riskReviews: RiskReviewRepo;
}

/**
 * Runs a function in one serialisable transaction of a region's database,
 * retrying on contention. Every buffered write is checked by the residency
 * guard: a write for a tenant of another region throws `residency_violation`.
 */
export interface UnitOfWork {
  run<T>(region: Region, fn: (tx: TxRepos) => Promise<T>): Promise<T>;
}

/** The repositories of one platform-database transaction: platform-wide records (`tenant_id` `_platform`). */
export interface PlatformTxRepos {
  readonly revocationEpochs: RevocationEpochRepo;
  readonly audit: AuditRepo;
  readonly outbox: OutboxRepo;
}

/**
 * Runs a function in one transaction of the platform database. Every write
 * must carry `tenant_id` `_platform`: tenant data never lands there.
 */
export interface PlatformUnitOfWork {
  run<T>(fn: (tx: PlatformTxRepos) => Promise<T>): Promise<T>;
}

// ---------------------------------------------------------------- later capabilities
// Declared now so adapters and use cases grow into a known shape.

/**
 * Hashes and verifies passwords (Argon2id PHC strings; docs/passwords.md).
 * Passwords are NFKC-normalised by the hasher (SP 800-63B §5.1.1.2).
 */
export interface PasswordHasher {
  /**
   * The `hash_version` of what `hash` and `wrap` produce now. Store it beside
   * the PHC string: the rehash job queries for records below it.
   */
  readonly version: number;
  hash(password: string): Promise<string>;
  /** Constant-time check of `password` against a plain or wrapped PHC string. */
  verify(phc: string, password: string): Promise<boolean>;
  /** True when `phc` was made with other parameters than the current ones, or is wrapped. */
  needsRehash(phc: string): boolean;
  /**
   * Without the password, wraps an outdated hash as `argon2id(old_hash)` at the
   * current parameters (the rehash job for inactive users, R-16). Returns
   * `phc` unchanged when its outer layer is already current.
   */
  wrap(phc: string): Promise<string>;
  /** The work of one `verify` against a current hash, for an unknown user. Always false. */
  dummyVerify(password: string): Promise<false>;
}

/** The breach check (HIBP range API or an offline list). Fails open. */
export interface BreachList {
  /** `breached`, `clean`, or `unknown` when the provider could not answer. */
  check(password: string): Promise<'breached' | 'clean' | 'unknown'>;
}

/** Sends mail (magic links). The local adapter writes to a dev mailbox. */
export interface Mailer {
  send(message: { readonly to: string; readonly subject: string; readonly text: string }): Promise<void>;
}

/** What is known of an IP address's reputation. */
export interface IpReputation {
  reputationOf(ip: string): Promise<'good' | 'bad' | 'unknown'>;
}

/** Secrets: Secret Manager in production, a local file or env source in dev. */
export interface SecretSource {
  get(name: string): Promise<Uint8Array>;
}

/** The HMAC hashes of MFA, named as RFC 6238 §1.2 and the `otpauth` URI name them. */
export type HmacAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/**
 * What MFA needs beyond pure code: HMAC and a constant-time comparison
 * (`node:crypto`), and RFC 4648 base32 (`@scure/base`).
 * Adapter: `shared/adapters/crypto/mfa-crypto.ts`.
 */
export interface MfaCrypto {
  hmac(alg: HmacAlgorithm, key: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** Constant-time equality of two byte strings; false when the lengths differ. */
  equal(a: Uint8Array, b: Uint8Array): boolean;
  /** RFC 4648 §6 base32, upper case, without padding. */
  base32Encode(bytes: Uint8Array): string;
  /** RFC 4648 §6 base32 (upper case, with or without padding); undefined when malformed. */
  base32Decode(text: string): Uint8Array | undefined;
}

/**
 * Encrypts secrets at rest: AES-256-GCM under a per-record data key, wrapped
 * by a key-encryption key from Secret Manager (`shared/adapters/crypto/envelope-cipher.ts`).
 */
export interface SecretCipher {
  /** Seals `plaintext`, bound to `aad` (the record it belongs to). */
  seal(plaintext: Uint8Array, aad: Uint8Array): Promise<SealedSecret>;
  /**
   * Opens a sealed secret with the same `aad`. Throws when it does not
   * authenticate (tampered, moved to another record, unknown or wrong KEK):
   * stored data that fails is an incident, never a user's expected outcome.
   */
  open(sealed: SealedSecret, aad: Uint8Array): Promise<Uint8Array>;
}

/**
 * Symmetric keys from Secret Manager, by id, for rotation: new records use
 * the current key and record its id; older ids stay readable while configured.
 */
export interface SecretKeyRing {
  current(): Promise<{ readonly id: string; readonly key: Uint8Array }>;
  /** The key of `id`, or undefined when it is not (or no longer) configured. */
  get(id: string): Promise<Uint8Array | undefined>;
}

/** What an AI risk classifier may suggest about an attempt. */
export type RiskSuggestion = 'lower' | 'same' | 'raise' | 'lock';

/** A classifier's answer. */
export interface RiskClassification {
  /** 0 (benign) to 1 (hostile). */
  readonly score: number;
  readonly suggestion: RiskSuggestion;
  /** The model that answered, for provenance. */
  readonly model: string;
}

/** One classifier call: an answer, or why there is none. Outages are values, not throws. */
export type RiskClassifierOutcome =
  | ({ readonly kind: 'ok' } & RiskClassification)
  | { readonly kind: 'timeout' }
  | { readonly kind: 'error'; readonly reason: string };

/**
 * An optional AI risk classifier (docs/adaptive-mfa.md). It can only raise
 * the bar: the engine takes the higher of its answer and the rules' level,
 * and a suggested lock only queues a human review.
 */
export interface RiskClassifier {
  classify(signals: RiskSignals): Promise<RiskClassifierOutcome>;
}

/** A point on Earth in degrees (WGS 84). */
export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

/** Where an IP address is, roughly (GeoIP). */
export interface GeoIp {
  /** The location of a plain IPv4 or IPv6 address, or undefined when unknown. */
  locate(address: string): Promise<GeoPoint | undefined>;
}

/** Signs certificates for a tenant's devices (the tenant's intermediate CA). */
export interface CertificateAuthority {
  /** Signs a DER TBSCertificate with the tenant's intermediate key; returns the DER signature. */
  sign(tenantId: string, tbs: Uint8Array): Promise<Uint8Array>;
}
