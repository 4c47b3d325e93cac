import * as v from 'valibot';
import { parseRiskConfig, type RiskConfig } from './adapters/risk/risk-config.ts';
import { REGIONS, type Region } from './domain/tenants/tenant.ts';
import { parseTrustedProxies } from './http/client-ip.ts';
import { describeIssues } from './http/parse-body.ts';

const HttpUrl = v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i, 'expected an http(s) URL'));
const HostPort = v.pipe(v.string(), v.regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port'));
const KmsKeyVersion = v.pipe(
  v.string(),
  v.regex(/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/\d+$/),
);

const EnvSchema = v.object({
  /** The GCP project. Locally a `demo-` project, which the emulators accept. */
  GOOGLE_CLOUD_PROJECT: v.pipe(v.string(), v.minLength(1)),
  /** `iss` of every token, and the base of the discovery document. */
  IAM_ISSUER: HttpUrl,
  /** The public origin of the edge (WebAuthn origins default to it). Defaults to the issuer's origin. */
  IAM_PUBLIC_ORIGIN: v.optional(HttpUrl),
  /** `aud` of access tokens. */
  IAM_AUDIENCE: v.optional(v.pipe(v.string(), v.minLength(1)), 'melmastoon'),
  /** Which signer: `local` (emulator-backed keys, dev only) or `kms`. */
  IAM_SIGNER: v.picklist(['local', 'kms']),
  /** KMS key versions for current / next / previous, when IAM_SIGNER=kms. */
  IAM_KMS_KEY_CURRENT: v.optional(KmsKeyVersion),
  IAM_KMS_KEY_NEXT: v.optional(KmsKeyVersion),
  IAM_KMS_KEY_PREVIOUS: v.optional(KmsKeyVersion),
  /** Only for tests: a loopback KMS endpoint spoken to without TLS. */
  IAM_KMS_ENDPOINT: v.optional(HostPort),
  /** The replica-region key versions (another KMS location) the circuit breaker fails over to (docs/keys.md). */
  IAM_KMS_REPLICA_KEY_CURRENT: v.optional(KmsKeyVersion),
  IAM_KMS_REPLICA_KEY_NEXT: v.optional(KmsKeyVersion),
  IAM_KMS_REPLICA_KEY_PREVIOUS: v.optional(KmsKeyVersion),
  /** Named Firestore databases per region, e.g. `eu=iam-eu,me=iam-me,us=iam-us`. */
  IAM_FIRESTORE_DATABASES: v.optional(v.string(), 'eu=iam-eu,me=iam-me,us=iam-us'),
  /** The platform database: tenant directory and local signing keys. */
  IAM_PLATFORM_DATABASE: v.optional(v.string(), '(default)'),
  /** The topic iam-service publishes its events to. */
  IAM_EVENTS_TOPIC: v.optional(v.pipe(v.string(), v.regex(/^[a-zA-Z][\w.~+%-]{2,254}$/)), 'iam-events'),
  FIRESTORE_EMULATOR_HOST: v.optional(HostPort),
  PUBSUB_EMULATOR_HOST: v.optional(HostPort),
  LOG_LEVEL: v.optional(v.picklist(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR']), 'INFO'),
  /** The `hash_version` of new password hashes (docs/passwords.md); bump it with the Argon2 parameters. */
  IAM_PASSWORD_HASH_VERSION: v.optional(v.pipe(v.string(), v.regex(/^[1-9]\d{0,5}$/, 'expected a positive integer')), '1'),
  /** Dev only: read secrets from files in this directory instead of Secret Manager (docs/accounts.md). */
  IAM_LOCAL_SECRETS_DIR: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Only for tests: a loopback Secret Manager endpoint spoken to without TLS. */
  IAM_SECRET_MANAGER_ENDPOINT: v.optional(HostPort),
  /** The NAME of the secret holding the bootstrap platform-admin credential (never the value). */
  IAM_BOOTSTRAP_SECRET_NAME: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,255}$/)), 'iam-bootstrap-admin'),
  /** The breach check of new passwords: `hibp` (the range API) or `offline` (a local copy at IAM_BREACH_LIST_PATH). */
  IAM_BREACH_LIST: v.optional(v.picklist(['hibp', 'offline']), 'hibp'),
  /** The HIBP range API base URL (tests point it at a loopback server). */
  IAM_HIBP_BASE_URL: v.optional(HttpUrl),
  /** The offline breach list: a directory of range files or a file of SHA-1 hashes (docs/passwords.md). */
  IAM_BREACH_LIST_PATH: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** CIDRs of the proxies whose `X-Forwarded-For` hops are trusted (docs/login.md); the local edge is 127.0.0.1. */
  IAM_TRUSTED_PROXIES: v.optional(v.string(), '127.0.0.1/32,::1/128'),
  /** CIDRs of known-bad client IPs: refused before any password work (the static IP reputation). */
  IAM_IP_DENYLIST: v.optional(v.string(), ''),
  /** CIDRs of known-good client IPs (still counted per account and IP). */
  IAM_IP_ALLOWLIST: v.optional(v.string(), ''),
  /** Where magic links point; the token goes in the fragment. Defaults to `<public origin>/magic-link`. */
  IAM_MAGIC_LINK_URL: v.optional(HttpUrl),
  /** How mail is sent: `dev-mailbox` (emulator only; the default there) or `none`. */
  IAM_MAILER: v.optional(v.picklist(['dev-mailbox', 'none'])),
});

/** The parsed configuration of one process. */
export interface Config {
  readonly projectId: string;
  readonly issuer: string;
  readonly publicOrigin: string;
  readonly audience: string;
  readonly signer:
    | { readonly kind: 'local' }
    | {
        readonly kind: 'kms';
        readonly current: string;
        readonly next: string | undefined;
        readonly previous: string | undefined;
        readonly endpoint: string | undefined;
        /** The replica-region key versions, in another KMS location; undefined: no failover. */
        readonly replica:
          | { readonly current: string; readonly next: string | undefined; readonly previous: string | undefined }
          | undefined;
      };
  /** Database id per region. */
  readonly databases: Readonly<Record<Region, string>>;
  readonly platformDatabase: string;
  readonly eventsTopic: string;
  readonly emulators: { readonly firestore: string | undefined; readonly pubsub: string | undefined };
  readonly logLevel: 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';
  /** The `hash_version` of new password hashes. */
  readonly passwordHashVersion: number;
  /** Where secrets come from: Secret Manager, or (dev only) files in a directory. */
  readonly secrets:
    | { readonly kind: 'secret-manager'; readonly endpoint: string | undefined }
    | { readonly kind: 'local'; readonly dir: string };
  /** The secret name of the bootstrap platform-admin credential. */
  readonly bootstrapSecretName: string;
  /** Which breach list checks new passwords. */
  readonly breachList: { readonly kind: 'hibp'; readonly baseUrl: string | undefined } | { readonly kind: 'offline'; readonly path: string };
  /** Trusted proxy CIDRs for the client IP (`shared/http/client-ip.ts`). */
  readonly trustedProxies: readonly string[];
  /** The static IP reputation lists (CIDRs). */
  readonly ipReputation: { readonly bad: readonly string[]; readonly good: readonly string[] };
  /** The base URL of magic links. */
  readonly magicLinkUrl: string;
  /** The mail transport. */
  readonly mailer: 'dev-mailbox' | 'none';
  /** Adaptive MFA: rules, cache, classifier, GeoIP (`IAM_RISK_*`, docs/adaptive-mfa.md). */
  readonly risk: RiskConfig;
}

/** Thrown when the environment is not a valid configuration. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment once, at cold start. Nothing else reads `process.env`.
 * Nothing secret has a default.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.issues)}`);
  const e = parsed.output;
  const databases = parseDatabases(e.IAM_FIRESTORE_DATABASES);
  // Residency (SPEC section 4 item 7): no regional database doubles as the platform one.
  if (Object.values(databases).includes(e.IAM_PLATFORM_DATABASE)) {
    throw new ConfigError('IAM_PLATFORM_DATABASE must differ from every regional database');
  }
  let signer: Config['signer'];
  if (e.IAM_SIGNER === 'kms') {
    if (e.IAM_KMS_KEY_CURRENT === undefined) throw new ConfigError('IAM_SIGNER=kms needs IAM_KMS_KEY_CURRENT');
    signer = {
      kind: 'kms',
      current: e.IAM_KMS_KEY_CURRENT,
      next: e.IAM_KMS_KEY_NEXT,
      previous: e.IAM_KMS_KEY_PREVIOUS,
      endpoint: e.IAM_KMS_ENDPOINT,
      replica: kmsReplica(e),
    };
  } else {
    // The local signer keeps private keys in Firestore: acceptable only on the emulator.
    if (e.FIRESTORE_EMULATOR_HOST === undefined) {
      throw new ConfigError('IAM_SIGNER=local is allowed only with FIRESTORE_EMULATOR_HOST (dev and test)');
    }
    signer = { kind: 'local' };
  }
  let secrets: Config['secrets'];
  if (e.IAM_LOCAL_SECRETS_DIR !== undefined) {
    // Secrets in plain files: acceptable only beside the emulators (dev and test).
    if (e.FIRESTORE_EMULATOR_HOST === undefined) {
      throw new ConfigError('IAM_LOCAL_SECRETS_DIR is allowed only with FIRESTORE_EMULATOR_HOST (dev and test)');
    }
    secrets = { kind: 'local', dir: e.IAM_LOCAL_SECRETS_DIR };
  } else {
    secrets = { kind: 'secret-manager', endpoint: e.IAM_SECRET_MANAGER_ENDPOINT };
  }
  let breachList: Config['breachList'];
  if (e.IAM_BREACH_LIST === 'offline') {
    if (e.IAM_BREACH_LIST_PATH === undefined) throw new ConfigError('IAM_BREACH_LIST=offline needs IAM_BREACH_LIST_PATH');
    breachList = { kind: 'offline', path: e.IAM_BREACH_LIST_PATH };
  } else {
    breachList = { kind: 'hibp', baseUrl: e.IAM_HIBP_BASE_URL };
  }
  const cidrs = (name: string, spec: string): readonly string[] => {
    try {
      return parseTrustedProxies(spec).cidrs;
    } catch (cause) {
      throw new ConfigError(`${name}: ${(cause as Error).message}`);
    }
  };
  const mailer = e.IAM_MAILER ?? (e.FIRESTORE_EMULATOR_HOST === undefined ? 'none' : 'dev-mailbox');
  // The dev mailbox keeps magic links readable in Firestore: acceptable only on the emulator.
  if (mailer === 'dev-mailbox' && e.FIRESTORE_EMULATOR_HOST === undefined) {
    throw new ConfigError('IAM_MAILER=dev-mailbox is allowed only with FIRESTORE_EMULATOR_HOST (dev and test)');
  }
  const publicOrigin = new URL(e.IAM_PUBLIC_ORIGIN ?? e.IAM_ISSUER).origin;
  const risk = parseRiskConfig(env);
  if (typeof risk === 'string') throw new ConfigError(risk);
  return {
    projectId: e.GOOGLE_CLOUD_PROJECT,
    issuer: e.IAM_ISSUER.replace(/\/+$/, ''),
    publicOrigin,
    audience: e.IAM_AUDIENCE,
    signer,
    databases,
    platformDatabase: e.IAM_PLATFORM_DATABASE,
    eventsTopic: e.IAM_EVENTS_TOPIC,
    emulators: { firestore: e.FIRESTORE_EMULATOR_HOST, pubsub: e.PUBSUB_EMULATOR_HOST },
    logLevel: e.LOG_LEVEL,
    passwordHashVersion: Number(e.IAM_PASSWORD_HASH_VERSION),
    secrets,
    bootstrapSecretName: e.IAM_BOOTSTRAP_SECRET_NAME,
    breachList,
    trustedProxies: cidrs('IAM_TRUSTED_PROXIES', e.IAM_TRUSTED_PROXIES),
    ipReputation: { bad: cidrs('IAM_IP_DENYLIST', e.IAM_IP_DENYLIST), good: cidrs('IAM_IP_ALLOWLIST', e.IAM_IP_ALLOWLIST) },
    magicLinkUrl: e.IAM_MAGIC_LINK_URL ?? `${publicOrigin}/magic-link`,
    mailer,
    risk,
  };
}

/** The replica key versions: all in one other KMS location than the primary's. */
function kmsReplica(e: v.InferOutput<typeof EnvSchema>): Extract<Config['signer'], { kind: 'kms' }>['replica'] {
  const current = e.IAM_KMS_REPLICA_KEY_CURRENT;
  if (current === undefined) {
    if (e.IAM_KMS_REPLICA_KEY_NEXT !== undefined || e.IAM_KMS_REPLICA_KEY_PREVIOUS !== undefined) {
      throw new ConfigError('IAM_KMS_REPLICA_KEY_NEXT/PREVIOUS need IAM_KMS_REPLICA_KEY_CURRENT');
    }
    return undefined;
  }
  const location = (name: string | undefined) => name?.split('/')[3];
  const primary = location(e.IAM_KMS_KEY_CURRENT);
  for (const name of [current, e.IAM_KMS_REPLICA_KEY_NEXT, e.IAM_KMS_REPLICA_KEY_PREVIOUS]) {
    // a replica in the primary's location fails together with it.
    if (name !== undefined && location(name) === primary) throw new ConfigError('IAM_KMS_REPLICA_KEY_* must be in another KMS location than IAM_KMS_KEY_CURRENT');
  }
  return { current, next: e.IAM_KMS_REPLICA_KEY_NEXT, previous: e.IAM_KMS_REPLICA_KEY_PREVIOUS };
}

function parseDatabases(spec: string): Record<Region, string> {
  const out: Partial<Record<Region, string>> = {};
  for (const pair of spec.split(',')) {
    const parts = pair.split('=').map((s) => s.trim());
    const [region, db] = parts;
    if (parts.length !== 2 || region === undefined || db === undefined || !(REGIONS as readonly string[]).includes(region) || db === '') {
      throw new ConfigError(`IAM_FIRESTORE_DATABASES: bad entry '${pair}'`);
    }
    if (out[region as Region] !== undefined) throw new ConfigError(`IAM_FIRESTORE_DATABASES: ${region} is given twice`);
    out[region as Region] = db;
  }
  for (const r of REGIONS) if (out[r] === undefined) throw new ConfigError(`IAM_FIRESTORE_DATABASES: no database for ${r}`);
  // Two regions sharing one database would mix their tenants' data.
  if (new Set(Object.values(out)).size !== REGIONS.length) {
    throw new ConfigError('IAM_FIRESTORE_DATABASES: each region needs its own database');
  }
  return out as Record<Region, string>;
}
