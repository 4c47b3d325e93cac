/**
 * What the local stack creates, declared once: ports, the edge's URL map, the
 * Pub/Sub topics and subscriptions, and the scheduled jobs.
 *
 * This module is data plus small pure helpers, so `infra/` (Terraform) can
 * mirror it line by line: `URL_MAP` is the load balancer's path matcher,
 * `TOPICS` and `SUBSCRIPTIONS` are the Pub/Sub resources, `JOBS` are the Cloud
 * Scheduler jobs. Change the production shape here first.
 */

/** The GCP project of the local stack: a `demo-` project, which the emulators accept without credentials. */
export const LOCAL_PROJECT_ID = 'demo-melmastoon';

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------

/** The default port base: every local port is `base + offset`. */
export const DEFAULT_PORT_BASE = 8000;

/** Offsets from the port base (8080, 8443, 8181, 8085 with the default base). */
export const PORT_OFFSETS = {
  edgeHttp: 80,
  edgeHttps: 443,
  firestore: 181,
  pubsub: 85,
} as const;

/**
 * Fixed port offsets of the functions we know of, so a function keeps its port
 * as others are added. A function not listed here gets the next offset from
 * {@link EXTRA_FUNCTION_OFFSET}, in alphabetical order.
 */
export const FUNCTION_PORT_OFFSETS: Readonly<Record<string, number>> = {
  token: 101,
  refresh: 102,
  'mfa-verify': 103,
  'device-cert-issue': 104,
  accounts: 105,
  'erasure-handler': 106,
  'tenant-events': 107,
  jobs: 108,
};

/** Where offsets of functions missing from {@link FUNCTION_PORT_OFFSETS} start. */
export const EXTRA_FUNCTION_OFFSET = 120;

/**
 * The environment variables that move ports, so a second full stack can run
 * beside the first (tests do this). Individual ports win over the base.
 */
export const PORT_ENV = {
  base: 'IAM_STACK_PORT_BASE',
  edgeHttp: 'IAM_STACK_EDGE_HTTP_PORT',
  edgeHttps: 'IAM_STACK_EDGE_HTTPS_PORT',
  firestore: 'IAM_STACK_FIRESTORE_PORT',
  pubsub: 'IAM_STACK_PUBSUB_PORT',
} as const;

/** Every port of one stack. */
export interface StackPorts {
  readonly base: number;
  readonly edgeHttp: number;
  readonly edgeHttps: number;
  readonly firestore: number;
  readonly pubsub: number;
  /** Port per function name. */
  readonly functions: Readonly<Record<string, number>>;
}

/**
 * Resolves the ports of a stack running `functionNames`, from the defaults and
 * the overrides in `env` (see {@link PORT_ENV}). Throws on a malformed value or
 * on two services sharing a port.
 */
export function resolvePorts(
  functionNames: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): StackPorts {
  const base = portFrom(env, PORT_ENV.base) ?? DEFAULT_PORT_BASE;
  const functions: Record<string, number> = {};
  let extra = EXTRA_FUNCTION_OFFSET;
  for (const name of [...functionNames].sort()) {
    const offset = FUNCTION_PORT_OFFSETS[name] ?? extra++;
    functions[name] = base + offset;
  }
  const ports: StackPorts = {
    base,
    edgeHttp: portFrom(env, PORT_ENV.edgeHttp) ?? base + PORT_OFFSETS.edgeHttp,
    edgeHttps: portFrom(env, PORT_ENV.edgeHttps) ?? base + PORT_OFFSETS.edgeHttps,
    firestore: portFrom(env, PORT_ENV.firestore) ?? base + PORT_OFFSETS.firestore,
    pubsub: portFrom(env, PORT_ENV.pubsub) ?? base + PORT_OFFSETS.pubsub,
    functions,
  };
  const seen = new Map<number, string>();
  for (const [name, port] of allPorts(ports)) {
    if (port < 1 || port > 65535) throw new Error(`port of ${name} out of range: ${port}`);
    const other = seen.get(port);
    if (other !== undefined) throw new Error(`${name} and ${other} would share port ${port}`);
    seen.set(port, name);
  }
  return ports;
}

/** Every `[service, port]` pair of a stack, for pre-flight checks and process scans. */
export function allPorts(ports: StackPorts): Array<readonly [string, number]> {
  return [
    ['edge (http)', ports.edgeHttp],
    ['edge (https)', ports.edgeHttps],
    ['firestore emulator', ports.firestore],
    ['pubsub emulator', ports.pubsub],
    ...Object.entries(ports.functions).map(([name, port]) => [`function ${name}`, port] as const),
  ];
}

function portFrom(env: Readonly<Record<string, string | undefined>>, key: string): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,5}$/.test(raw)) throw new Error(`${key} must be a port number, got '${raw}'`);
  return Number(raw);
}

// ---------------------------------------------------------------------------
// The edge's URL map (the production HTTPS load balancer's path matcher)
// ---------------------------------------------------------------------------

/**
 * One path rule, in the load balancer's syntax: a path is matched exactly, and
 * a path ending in `/*` matches everything below it. The longest match wins.
 */
export interface PathRule {
  /** The function (backend service) this rule routes to. */
  readonly function: string;
  /** Load balancer path patterns: `/v1/login` (exact) or `/v1/mfa/*` (prefix). */
  readonly paths: readonly string[];
}

/**
 * The URL map. Anything not matched is a 404 at the edge: `/jobs/*` and the
 * event endpoints (Pub/Sub push, Cloud Scheduler) are never routed publicly.
 */
export const URL_MAP: readonly PathRule[] = [
  {
    function: 'token',
    paths: ['/.well-known/*', '/v1/login', '/v1/magic-link', '/v1/magic-link/*'],
  },
  {
    function: 'refresh',
    paths: ['/v1/token', '/v1/revoke', '/v1/sessions', '/v1/sessions/*'],
  },
  { function: 'mfa-verify', paths: ['/v1/mfa/*'] },
  { function: 'device-cert-issue', paths: ['/v1/devices/*', '/v1/tenants/*'] },
  {
    function: 'accounts',
    paths: ['/v1/users', '/v1/users/*', '/v1/me', '/v1/me/*', '/v1/admin', '/v1/admin/*'],
  },
];

/**
 * The function a path routes to, or `undefined` (404). `path` must already be
 * normalised (no `.`/`..` segments, no query).
 */
export function routeFor(path: string, urlMap: readonly PathRule[] = URL_MAP): string | undefined {
  let best: { fn: string; length: number } | undefined;
  for (const rule of urlMap) {
    for (const pattern of rule.paths) {
      const length = matchLength(pattern, path);
      if (length !== undefined && (best === undefined || length > best.length)) best = { fn: rule.function, length };
    }
  }
  return best?.fn;
}

function matchLength(pattern: string, path: string): number | undefined {
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1); // keeps the trailing slash
    return path.startsWith(prefix) ? prefix.length : undefined;
  }
  // An exact rule outranks any prefix rule of the same length.
  return path === pattern ? pattern.length + 1 : undefined;
}

/**
 * A cheap GET that answers 200 once a function is ready: what cold starts are
 * measured with (`bench/cold-start.ts`) and what a load balancer health check
 * may use. A function missing here has no such route yet; the bench then
 * counts its first answer of any status and says so.
 */
export const READINESS_PROBES: Readonly<Record<string, string>> = {
  token: '/.well-known/jwks.json',
  jobs: '/jobs/health',
};

// ---------------------------------------------------------------------------
// Pub/Sub
// ---------------------------------------------------------------------------

/** Seven days, the retention of every topic and subscription (SPEC 4.8). */
export const RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** Delivery attempts before a push message goes to its topic's DLQ. */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** One topic. Each has a dead-letter topic named {@link dlqOf}. */
export interface TopicSpec {
  readonly name: string;
  /** `out`: iam-service publishes; `in`: iam-service consumes. */
  readonly direction: 'in' | 'out';
  readonly description: string;
}

/** The topics, each with a DLQ and 7-day retention. */
export const TOPICS: readonly TopicSpec[] = [
  { name: 'iam-events', direction: 'out', description: 'iam.* CloudEvents from the outbox relay, ordered by aggregate' },
  { name: 'tenant-events', direction: 'in', description: 'tenant.created.v1 / tenant.updated.v1 from the platform' },
  { name: 'gdpr-erasure', direction: 'in', description: 'gdpr.erasure.requested.v1 from the GDPR saga' },
];

/** The dead-letter topic of `topic`. */
export function dlqOf(topic: string): string {
  return `${topic}-dlq`;
}

/** One subscription. */
export type SubscriptionSpec =
  | {
      readonly name: string;
      readonly topic: string;
      readonly kind: 'push';
      /** The function the emulator pushes to. */
      readonly function: string;
      /** Path on that function (Pub/Sub push posts the wrapped message there). */
      readonly path: string;
      /** Whether a failed message goes to `dlqOf(topic)` after {@link MAX_DELIVERY_ATTEMPTS}. */
      readonly deadLetter: true;
      readonly ordered: boolean;
    }
  | {
      readonly name: string;
      readonly topic: string;
      readonly kind: 'pull';
      /** Who reads it. */
      readonly purpose: string;
      readonly ordered: boolean;
    };

/**
 * The subscriptions. Push subscriptions whose function does not exist yet are
 * skipped by the local stack. Pull "taps" let developers and tests read what
 * iam-service published and what was dead-lettered.
 */
export const SUBSCRIPTIONS: readonly SubscriptionSpec[] = [
  { name: 'tenant-events-push', topic: 'tenant-events', kind: 'push', function: 'tenant-events', path: '/', deadLetter: true, ordered: true },
  { name: 'gdpr-erasure-push', topic: 'gdpr-erasure', kind: 'push', function: 'erasure-handler', path: '/', deadLetter: true, ordered: false },
  { name: 'iam-events-tap', topic: 'iam-events', kind: 'pull', purpose: 'inspect what iam-service published', ordered: true },
  ...TOPICS.map(
    (t): SubscriptionSpec => ({
      name: `${dlqOf(t.name)}-tap`,
      topic: dlqOf(t.name),
      kind: 'pull',
      purpose: `inspect messages dead-lettered from ${t.name}`,
      ordered: false,
    }),
  ),
];

/**
 * Push retry backoff. Production uses Pub/Sub's 10 s..600 s; locally it is
 * short so a poison message reaches its DLQ in seconds.
 */
export const PUSH_RETRY = {
  production: { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 },
  local: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 5 },
} as const;

/**
 * The Pub/Sub emulator (0.8.20) never dead-letters a message of an ordered
 * subscription: it redelivers it forever. The local stack therefore creates
 * push subscriptions unordered so the DLQ path can be exercised; production
 * keeps `ordered` as declared above.
 */
export const EMULATOR_ORDERED_PUSH = false;

/** Push acknowledgement deadline, seconds. */
export const PUSH_ACK_DEADLINE_SECONDS = 30;

// ---------------------------------------------------------------------------
// Scheduled jobs (Cloud Scheduler -> the jobs function)
// ---------------------------------------------------------------------------

/** One scheduled job: an HTTP POST to the `jobs` function. */
export interface JobSpec {
  readonly name: string;
  /** Path on the jobs function. */
  readonly path: string;
  /** Cloud Scheduler cron (UTC) in production. */
  readonly cron: string;
  /** The local stack's interval, milliseconds. */
  readonly localEveryMs: number;
}

/** The function that serves {@link JOBS}. */
export const JOBS_FUNCTION = 'jobs';

/** The scheduled jobs. The local stack skips any the jobs function answers 404 for. */
export const JOBS: readonly JobSpec[] = [
  { name: 'outbox-relay', path: '/jobs/outbox-relay', cron: '* * * * *', localEveryMs: 2_000 },
  { name: 'reconcile-outbox', path: '/jobs/reconcile-outbox', cron: '17 3 * * *', localEveryMs: 60_000 },
  { name: 'reconcile-erasure', path: '/jobs/reconcile-erasure', cron: '*/15 * * * *', localEveryMs: 60_000 },
  { name: 'rehash-inactive', path: '/jobs/rehash-inactive', cron: '43 2 * * *', localEveryMs: 300_000 },
  { name: 'device-cert-expiry', path: '/jobs/device-cert-expiry', cron: '0 * * * *', localEveryMs: 300_000 },
  // Clears sealed refresh successors once their grace window has lapsed (docs/sessions.md).
  { name: 'shred-grace', path: '/jobs/shred-grace', cron: '* * * * *', localEveryMs: 30_000 },
];

// ---------------------------------------------------------------------------
// The edge
// ---------------------------------------------------------------------------

/** The largest request body the edge forwards. */
export const EDGE_BODY_LIMIT_BYTES = 1024 * 1024;

/** Where the edge reads the device trust bundle (PEM roots and intermediates) from, if set. */
export const TRUST_BUNDLE_ENV = 'IAM_EDGE_TRUST_BUNDLE';
